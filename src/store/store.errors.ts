import { AppError, CommonErrors } from '../core/errors/app-error';

export const StoreErrors = {
  notConnected: () => new AppError('STORE_NOT_CONNECTED', 404, 'This community has no store connection'),
  badWebhookUrl: (message: string) => CommonErrors.validation([{ field: 'webhookUrl', message }], `webhookUrl ${message}`),
  privateAddress: (address: string) =>
    new AppError('WEBHOOK_URL_NOT_ALLOWED', 422, `webhookUrl resolves to ${address}, which is not a public address`, { address }, [
      { field: 'webhookUrl', message: 'resolves to a loopback, private, link-local or otherwise special-use address' },
    ]),
  unresolvable: (host: string) =>
    new AppError('WEBHOOK_URL_UNRESOLVABLE', 422, `The host ${host} could not be resolved`, { host }, [{ field: 'webhookUrl', message: 'host does not resolve' }]),
  unknownEvents: (names: string[]) =>
    CommonErrors.validation([{ field: 'events', message: `unknown event types: ${names.join(', ')}` }], `Unknown event types: ${names.join(', ')}`),
  deliveryNotFound: () => CommonErrors.notFound('Delivery'),
  memberNotFound: () => CommonErrors.notFound('Member'),
  missingSignature: () =>
    new AppError('INVALID_SIGNATURE', 401, 'webhook-id, webhook-timestamp and webhook-signature headers are required', {}, [
      { field: 'webhook-signature', message: 'missing' },
    ]),
  badSignature: () => new AppError('INVALID_SIGNATURE', 401, 'No signature matches this event and the inbound secret'),
  staleTimestamp: () => new AppError('STALE_TIMESTAMP', 401, 'webhook-timestamp is more than 5 minutes away from the server time'),
  replayed: (webhookId: string) => new AppError('WEBHOOK_REPLAYED', 409, 'This webhook-id was already processed; it takes effect once', { webhookId }),
  badEventData: (type: string, errors: Array<{ field: string; message: string }>) =>
    CommonErrors.validation(errors.map((e) => ({ field: `data.${e.field}`, message: e.message })), `The data of ${type} is not valid`),
  orderNotFound: (orderId: string) =>
    new AppError('ORDER_NOT_FOUND', 422, `No paid order ${orderId} is known for this customer`, { orderId }, [{ field: 'data.orderId', message: 'unknown order' }]),
  orderOfAnotherCustomer: (orderId: string) =>
    new AppError('ORDER_CUSTOMER_MISMATCH', 422, `Order ${orderId} belongs to another customer`, { orderId }, [{ field: 'data.customerId', message: 'not the order\'s customer' }]),
  badSsoSignature: () => new AppError('INVALID_SIGNATURE', 401, 'The SSO signature does not match the payload and the SSO secret'),
  badSsoPayload: (message: string) => CommonErrors.validation([{ field: 'payload', message }], `The SSO payload is not valid: ${message}`),
  ssoExpired: () => new AppError('SSO_EXPIRED', 401, 'The SSO payload has expired'),
  nonceReused: () => new AppError('SSO_NONCE_REUSED', 409, 'This SSO nonce was already used'),
  emailInUse: () => new AppError('EMAIL_IN_USE', 409, 'An account with this email exists and is not linked to this store customer'),
};
