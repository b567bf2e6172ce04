import { firstFreeUsername, isReservedUsername, usernameBase, usernameCandidate, usernameProblem } from './usernames';

describe('usernames', () => {
  it.each(['ada', 'Ada_L', 'a.b-c', '_x_', 'abcdefghij0123456789', 'a1b'])('accepts %s', (name) => {
    expect(usernameProblem(name)).toBeNull();
  });

  it.each([
    ['ab', 'must be 3 to 20 characters long'],
    ['abcdefghij0123456789x', 'must be 3 to 20 characters long'],
    ['ad a', 'may contain only letters (a-z), digits, "_", "-" and "."'],
    ['adé', 'may contain only letters (a-z), digits, "_", "-" and "."'],
    ['ada@x', 'may contain only letters (a-z), digits, "_", "-" and "."'],
    ['.ada', 'must start and end with a letter, a digit or "_"'],
    ['ada-', 'must start and end with a letter, a digit or "_"'],
    ['a..da', 'may not have "." or "-" twice in a row'],
    ['a.-da', 'may not have "." or "-" twice in a row'],
  ])('refuses %s: %s', (name, problem) => {
    expect(usernameProblem(name)).toBe(problem);
  });

  it('reserves the staff names in any letter case', () => {
    expect(['Admin', 'STAFF', 'support', 'Moderator', 'system', 'deleted'].map(isReservedUsername)).toEqual([true, true, true, true, true, true]);
    expect(isReservedUsername('ada')).toBe(false);
  });

  it.each([
    ['Ada', 'ada'],
    ['Ada Lovelace', 'adalovelace'],
    ['José María', 'josemaria'],
    ['  --Ada.. L--', 'ada.l'],
    ['李', 'member'],
    ['Ab', 'member'],
    ['A very long display name indeed', 'averylongdisplayname'],
  ])('derives %s -> %s', (displayName, base) => {
    expect(usernameBase(displayName)).toBe(base);
    expect(usernameProblem(base)).toBeNull();
  });

  it('numbers candidates within 20 characters, never ending in punctuation', () => {
    expect([0, 1, 2, 10].map((n) => usernameCandidate('ada', n))).toEqual(['ada', 'ada1', 'ada2', 'ada10']);
    expect(usernameCandidate('abcdefghij0123456789', 12)).toBe('abcdefghij0123456712');
    expect(usernameCandidate('abcdefghijklmnopqr.s', 7)).toBe('abcdefghijklmnopqr7');
  });

  it('picks the first free, unreserved candidate', () => {
    expect(firstFreeUsername('ada', new Set())).toBe('ada');
    expect(firstFreeUsername('ada', new Set(['ada', 'ada1']))).toBe('ada2');
    expect(firstFreeUsername('admin', new Set())).toBe('admin1');
  });
});
