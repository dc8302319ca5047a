import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, isValidPortName, isConfigMapKey, isValidIP, isValidPercent, isRelaxedEnvVarName } from './names.js';
import { formatBadValue, goQuote, goStringMap, goStringSlice, goIntOrString, invalid, notSupported, required, forbidden, tooLong, tooMany, duplicate, FieldPath } from './field-errors.js';

test('name formats: valid values pass', () => {
  for (const v of ['a', 'web-1', '0abc']) assert.deepEqual(isDNS1123Label(v), [], v);
  for (const v of ['a.b', 'example.com', 'x-1.y-2']) assert.deepEqual(isDNS1123Subdomain(v), [], v);
  for (const v of ['web', 'a-1']) assert.deepEqual(isDNS1035Label(v), [], v);
  for (const v of ['app', 'example.com/app', 'A_b.c-d', 'kubernetes.io/metadata.name']) assert.deepEqual(isQualifiedName(v), [], v);
  for (const v of ['', 'v1', 'a_b-c.d']) assert.deepEqual(isValidLabelValue(v), [], v);
  for (const v of ['http', 'h2c', 'metrics-1']) assert.deepEqual(isValidPortName(v), [], v);
  for (const v of ['10.0.0.1', '::1', '2001:db8::ffff', '::ffff:10.0.0.1']) assert.deepEqual(isValidIP(v), [], v);
});

test('name formats: upstream messages', () => {
  assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isDNS1035Label('1abc'), [
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);
  assert.deepEqual(isQualifiedName('/app'), ['prefix part must be non-empty']);
  assert.deepEqual(isQualifiedName('Example.com/app')[0]?.startsWith('prefix part a lowercase RFC 1123 subdomain'), true);
  assert.deepEqual(isQualifiedName('a/'), [
    'name part must be non-empty',
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  assert.deepEqual(isValidPortName('HTTP--x-'), [
    'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'must not contain consecutive hyphens',
    'must not begin or end with a hyphen',
  ]);
  assert.deepEqual(isValidPortName('1234'), ['must contain at least one letter (a-z)']);
  assert.deepEqual(isConfigMapKey('..a'), ["must not start with '..'"]);
  assert.deepEqual(isValidIP('10.0.0.256'), ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
  assert.deepEqual(isValidPercent('5'), ["a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"]);
  assert.deepEqual(isRelaxedEnvVarName(''), ['environment variable name must be non-empty']);
});

test('field errors render like field.Error.ErrorBody (v1.32)', () => {
  const p = FieldPath.root('spec').child('template', 'spec').child('containers').index(0).child('env').key('A');
  assert.equal(p.toString(), 'spec.template.spec.containers[0].env[A]');
  assert.equal(goQuote('a"b\\c\nd\u0001é'), '"a\\"b\\\\c\\nd\\x01é"');
  assert.equal(formatBadValue(null), 'null');
  assert.equal(formatBadValue(1.5), '1.5');
  assert.equal(formatBadValue(true), 'true');
  assert.equal(goStringMap({ b: '2', a: '1' }).goSyntax, 'map[string]string{"a":"1", "b":"2"}');
  assert.equal(goStringMap(undefined).goSyntax, 'map[string]string(nil)');
  assert.equal(goStringSlice(['x']).goSyntax, '[]string{"x"}');
  assert.equal(goIntOrString('25%').goSyntax, 'intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}');
  const cases: Array<[ReturnType<typeof required>, string]> = [
    [required('a', ''), 'Required value'],
    [required('a', 'must be set'), 'Required value: must be set'],
    [invalid('a', -1, 'must be greater than or equal to 0'), 'Invalid value: -1: must be greater than or equal to 0'],
    [invalid('a', 'x', ''), 'Invalid value: "x"'],
    [notSupported('a', 'Foo', ['Always', 'Never', 'OnFailure']), 'Unsupported value: "Foo": supported values: "Always", "Never", "OnFailure"'],
    [forbidden('a', 'not allowed'), 'Forbidden: not allowed'],
    [duplicate('a', 'x'), 'Duplicate value: "x"'],
    [tooLong('a', 262144), 'Too long: may not be more than 262144 bytes'],
    [tooMany('a', 30, 20), 'Too many: 30: must have at most 20 items'],
  ];
  for (const [e, want] of cases) assert.equal(e.message, want);
  assert.equal(required('x').type, 'FieldValueRequired');
  assert.equal(notSupported('x', 'y', []).type, 'FieldValueNotSupported');
});
