import { Injectable } from '@nestjs/common';
import { ShiftableClock } from '../core/clock/shiftable-clock';

/** "Now" for reset and verification links (tests move it to expire a link without waiting). */
@Injectable()
export class RecoveryClock extends ShiftableClock {}
