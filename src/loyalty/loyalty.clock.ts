import { Injectable } from '@nestjs/common';
import { ShiftableClock } from '../core/clock/shiftable-clock';

/** Loyalty's clock: pending windows, daily caps, expiry and idempotency-key age compare against it. */
@Injectable()
export class LoyaltyClock extends ShiftableClock {}
