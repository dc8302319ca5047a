import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Quantity, QuantityParseError, QUANTITY_FORMAT_ERROR, QUANTITY_SUFFIX_ERROR } from './quantity.js';

test('Quantity canonical forms match apimachinery', () => {
  const cases: Array<[string | number, string]> = [
    ['0', '0'],
    ['100m', '100m'],
    ['0.1', '100m'],
    ['.5', '500m'],
    ['1.5', '1500m'],
    ['1000m', '1'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['1.0', '1'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['2048Ki', '2Mi'],
    ['100Mi', '100Mi'],
    ['0.5Ki', '512'],
    ['1.1Ki', '1126400m'],
    ['1023', '1023'],
    ['-1Gi', '-1Gi'],
    ['1G', '1G'],
    ['1000M', '1G'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['1E6', '1e6'],
    ['12e-3', '12e-3'],
    ['1n', '1n'],
    ['0.1n', '1n'],
    ['-0.1n', '-1n'],
    ['1u', '1u'],
    ['1.', '1'],
    ['+2', '2'],
    ['007', '7'],
    ['1Ei', '1Ei'],
    ['8Ei', '9223372036854775807'],
    [2, '2'],
    [0.25, '250m'],
  ];
  for (const [input, want] of cases) assert.equal(Quantity.parse(input).toString(), want, String(input));
});

test('Quantity parse errors', () => {
  const cases: Array<[string, string]> = [
    ['', QUANTITY_FORMAT_ERROR],
    ['abc', QUANTITY_FORMAT_ERROR],
    ['1 Gi', QUANTITY_FORMAT_ERROR],
    ['1Gb', QUANTITY_FORMAT_ERROR],
    ['1x', QUANTITY_FORMAT_ERROR],
    ['1e', QUANTITY_SUFFIX_ERROR],
    ['1Mm', QUANTITY_SUFFIX_ERROR],
    ['1ki', QUANTITY_SUFFIX_ERROR],
  ];
  for (const [input, msg] of cases) {
    assert.throws(() => Quantity.parse(input), (e: unknown) => e instanceof QuantityParseError && e.message === msg, input);
  }
});

test('Quantity arithmetic and scaled values round away from zero', () => {
  const a = Quantity.parse('250m');
  const b = Quantity.parse('1.5');
  assert.equal(a.add(b).toString(), '1750m');
  assert.equal(b.sub(a).toString(), '1250m');
  assert.equal(a.cmp(b), -1);
  assert.equal(b.cmp(a), 1);
  assert.equal(Quantity.parse('1').cmp(Quantity.parse('1000m')), 0);
  assert.equal(Quantity.parse('100m').milliValue(), 100);
  assert.equal(Quantity.parse('1.5').value(), 2);
  assert.equal(Quantity.parse('-1.5').value(), -2);
  assert.equal(Quantity.parse('1Mi').value(), 1048576);
  assert.equal(Quantity.parse('0.0001').milliValue(), 1);
  assert.equal(Quantity.fromMilli(1500).toString(), '1500m');
  assert.equal(Quantity.fromInt(2048, 'BinarySI').toString(), '2Ki');
  assert.equal(Quantity.ZERO.add(Quantity.parse('1Gi')).toString(), '1Gi');
  assert.equal(Quantity.parse('1Gi').mul(3).toString(), '3Gi');
  assert.equal(Quantity.parse('-5').sign(), -1);
  assert.equal(JSON.stringify({ q: Quantity.parse('1024Ki') }), '{"q":"1Mi"}');
});
