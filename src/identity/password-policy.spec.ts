import { commonPasswordCount, passwordProblem } from './password-policy';

describe('passwordProblem', () => {
  it('accepts a long, uncommon password', () => {
    expect(passwordProblem('correct horse battery staple')).toBeNull();
  });

  it('refuses short and overlong passwords', () => {
    expect(passwordProblem('short1!')).toMatch(/at least 10/);
    expect(passwordProblem('x'.repeat(200) + 'y'.repeat(57))).toMatch(/at most 256/);
  });

  it('refuses common passwords whatever their case', () => {
    expect(passwordProblem('1234567890')).toMatch(/too common/);
    expect(passwordProblem('QWERTYUIOP')).toMatch(/too common/);
  });

  it('refuses repetitive passwords and the email itself', () => {
    expect(passwordProblem('aaaaaaaaaaaa')).toMatch(/repetitive/);
    expect(passwordProblem('Someone@Example.com', 'someone@example.com')).toMatch(/email/);
  });

  it('ships at least the 10,000 most common passwords', () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
  });
});
