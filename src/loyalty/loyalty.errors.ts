import { AppError, CommonErrors } from '../core/errors/app-error';

export const LoyaltyErrors = {
  insufficientPoints: (balance: number, cost: number) =>
    new AppError('INSUFFICIENT_POINTS', 409, `This needs ${cost} points; the balance is ${balance}`, { balance, cost }),
  outOfStock: (rewardId: string) => new AppError('REWARD_OUT_OF_STOCK', 409, 'This reward has no coupon codes left', { rewardId }),
  keyRequired: () =>
    new AppError('IDEMPOTENCY_KEY_REQUIRED', 400, 'Send an Idempotency-Key header (1 to 200 visible ASCII characters)', {}, [
      { field: 'Idempotency-Key', message: 'required: 1 to 200 visible ASCII characters' },
    ]),
  keyReused: () =>
    new AppError('IDEMPOTENCY_KEY_REUSED', 422, 'This Idempotency-Key was already used with another request', {}, [
      { field: 'Idempotency-Key', message: 'already used with another body' },
    ]),
  rewardNotFound: () => CommonErrors.notFound('Reward'),
  rewardDisabled: (rewardId: string) => new AppError('REWARD_DISABLED', 409, 'This reward is no longer offered', { rewardId }),
  memberNotFound: () => CommonErrors.notFound('Member'),
  ownAdjustment: () => CommonErrors.forbidden('Staff cannot adjust their own points'),
  badTiers: (message: string) => CommonErrors.validation([{ field: 'tiers', message }], `tiers: ${message}`),
};
