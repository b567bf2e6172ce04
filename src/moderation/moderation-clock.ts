import { Injectable } from '@nestjs/common';
import { ShiftableClock } from '../core/clock/shiftable-clock';

/** Moderation's clock: sanction expiry, `until` validation and trust compare against it (never a job). */
@Injectable()
export class ModerationClock extends ShiftableClock {}
