import { ConfigError, parseSeconds, readCommonConfig, readEnv } from '../src/config';

describe('readEnv', () => {
  test('defaults apply when a variable is unset or blank', () => {
    const read = readEnv({ BLANK: '  ' });
    expect(read.int('MISSING', 5)).toBe(5);
    expect(read.string('BLANK', 'x')).toBe('x');
    expect(read.seconds('MISSING', '15m')).toBe(900);
  });

  test.each([
    ['PORT', 'eighty', () => readEnv({ PORT: 'eighty' }).int('PORT', 1), /PORT must be a whole number, got "eighty"/],
    ['PORT', '70000', () => readEnv({ PORT: '70000' }).int('PORT', 1, { max: 65535 }), /PORT must be at most 65535/],
    ['TTL', '15 minutes', () => readEnv({ TTL: '15 minutes' }).seconds('TTL', '1m'), /TTL must be a positive duration/],
    ['MODE', 'prod', () => readEnv({ MODE: 'prod' }).oneOf('MODE', ['development', 'production'], 'development'), /one of development, production/],
    ['URL', 'localhost:5432', () => readEnv({ URL: 'localhost:5432' }).url('URL', undefined, ['postgres:']), /URL must/],
    ['FLAG', 'maybe', () => readEnv({ FLAG: 'maybe' }).bool('FLAG', false), /FLAG must be true or false/],
  ])('%s=%s is refused with a message naming it', (_name, _value, read, message) => {
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });

  test('durations', () => {
    expect(parseSeconds('30')).toBe(30);
    expect(parseSeconds('7d')).toBe(604800);
    expect(parseSeconds('2h')).toBe(7200);
    expect(parseSeconds('-1')).toBeUndefined();
  });

  test('a DATABASE_URL that is not PostgreSQL stops the service', () => {
    expect(() => readCommonConfig({ DATABASE_URL: 'mysql://localhost/db' })).toThrow(/DATABASE_URL must use postgres: or postgresql:/);
  });
});
