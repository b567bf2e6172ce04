import { Injectable } from '@nestjs/common';
import { ShiftableClock } from '../core/clock/shiftable-clock';

/** Insights' clock: "the last 7/30/90 days", segments, churn and the daily job compare against it. */
@Injectable()
export class InsightsClock extends ShiftableClock {}
