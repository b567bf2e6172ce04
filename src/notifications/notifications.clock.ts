import { Injectable } from '@nestjs/common';
import { ShiftableClock } from '../core/clock/shiftable-clock';

/** Notifications' clock: email delays, leases, digests and the 90-day prune compare against it. */
@Injectable()
export class NotificationsClock extends ShiftableClock {}
