import { AppError } from '../core/errors/app-error';
import { DELIVERIES, NOTIFICATION_TYPES } from './notification-types';

export const NotificationsErrors = {
  badPreference: (field: string, message: string) =>
    new AppError('VALIDATION_FAILED', 400, `Unknown notification type or delivery (types: ${NOTIFICATION_TYPES.join(', ')}; deliveries: ${DELIVERIES.join(', ')})`, {}, [{ field, message }]),
  badToken: () => new AppError('INVALID_UNSUBSCRIBE_TOKEN', 400, 'This unsubscribe link is not valid', {}, [{ field: 'token', message: 'token is not valid' }]),
};
