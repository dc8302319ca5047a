import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseSelector,
  SelectorParseError,
  labelSelectorAsSelector,
  formatLabelSelector,
  selectorFromSet,
  validateLabels,
  validateLabelSelector,
  goLabelSelector,
  parseSelectorOrBadRequest,
  NOTHING,
} from './labels.js';
import { FieldPath } from './validation/field-errors.js';
import { StatusError } from './errors.js';

test('parseSelector: canonical String() sorts requirements and values', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['app=web', 'app=web'],
    ['app==web', 'app==web'],
    ['  b!=2 , a=1', 'a=1,b!=2'],
    ['env in (prod, dev)', 'env in (dev,prod)'],
    ['env notin (x)', 'env notin (x)'],
    ['tier', 'tier'],
    ['!tier', '!tier'],
    ['x in (a),!y,z', 'x in (a),!y,z'],
    ['n>5,m<3', 'm<3,n>5'],
    ['k=', 'k='],
    ['example.com/app=v1', 'example.com/app=v1'],
    ['in=notin', 'in=notin'],
  ];
  for (const [input, want] of cases) assert.equal(parseSelector(input).toString(), want, input);
});

test('parseSelector: matching per operator', () => {
  const labels = { app: 'web', env: 'prod', n: '10' };
  const cases: Array<[string, boolean]> = [
    ['app=web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['env in (prod,dev)', true],
    ['env notin (prod)', false],
    ['missing notin (prod)', true],
    ['missing in (prod)', false],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['n>5', true],
    ['n<5', false],
    ['app>5', false],
    ['', true],
    ['app=web,env=prod', true],
    ['app=web,env=dev', false],
  ];
  for (const [sel, want] of cases) assert.equal(parseSelector(sel).matches(labels), want, sel);
});

test('parseSelector: errors read like apimachinery', () => {
  const cases: Array<[string, string]> = [
    ['app=', ''],
    ['app in', "unable to parse requirement: found '' expected: '('"],
    ['app x', "unable to parse requirement: found 'x', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b,', "found '', expected: identifier after ','"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['=b', "found '=', expected: !, identifier, or 'end of string'"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['x>a', "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"],
    [
      'a@b=c',
      "unable to parse requirement: <nil>: Invalid value: \"a@b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ],
    [
      'a=b@',
      "unable to parse requirement: values[0][a]: Invalid value: \"b@\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
  ];
  for (const [input, msg] of cases) {
    if (msg === '') {
      assert.doesNotThrow(() => parseSelector(input), input);
      continue;
    }
    assert.throws(() => parseSelector(input), (e: unknown) => e instanceof SelectorParseError && e.message === msg, input);
  }
  assert.throws(() => parseSelectorOrBadRequest('a b'), (e: unknown) => e instanceof StatusError && e.code === 400);
});

test('labelSelectorAsSelector: nil selects nothing, {} everything', () => {
  assert.equal(labelSelectorAsSelector(undefined), NOTHING);
  assert.equal(NOTHING.matches({ a: 'b' }), false);
  assert.equal(labelSelectorAsSelector({}).matches({ a: 'b' }), true);
  const s = labelSelectorAsSelector({
    matchLabels: { tier: 'web', app: 'nginx' },
    matchExpressions: [
      { key: 'env', operator: 'NotIn', values: ['qa', 'dev'] },
      { key: 'gpu', operator: 'DoesNotExist' },
    ],
  });
  assert.equal(s.toString(), 'app=nginx,env notin (dev,qa),!gpu,tier=web');
  assert.equal(s.matches({ app: 'nginx', tier: 'web' }), true);
  assert.equal(s.matches({ app: 'nginx', tier: 'web', gpu: '1' }), false);
  assert.throws(() => labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'Foo' }] }), /"Foo" is not a valid label selector operator/);
});

test('formatLabelSelector renders like metav1.FormatLabelSelector', () => {
  assert.equal(formatLabelSelector(undefined), '<none>');
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchLabels: { app: 'nginx' } }), 'app=nginx');
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' }] }), '<error>');
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: ['y', 'x'] }] }), 'a in (x,y)');
  assert.equal(selectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
  assert.equal(selectorFromSet({ a: '1' }).requiresExactMatch('a'), '1');
});

test('validateLabels and validateLabelSelector messages', () => {
  const errs = validateLabels({ 'bad key!': 'ok', good: '-bad' }, 'metadata.labels');
  assert.deepEqual(
    errs.map((e) => `${e.field}: ${e.message}`),
    [
      "metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      "metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
  );
  const long = 'a'.repeat(64);
  assert.match(validateLabels({ [long]: 'x' }, 'l')[0]?.message ?? '', /name part must be no more than 63 characters/);
  const sel = validateLabelSelector(
    { matchExpressions: [{ key: 'a', operator: 'In' }, { key: 'b', operator: 'Exists', values: ['x'] }, { key: 'c', operator: 'Maybe' }] },
    FieldPath.root('spec').child('selector'),
  );
  assert.deepEqual(
    sel.map((e) => `${e.field}: ${e.message}`),
    [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Maybe": not a valid selector operator',
    ],
  );
});

test('goLabelSelector prints %#v like Go', () => {
  assert.equal(
    goLabelSelector({ matchLabels: { app: 'y' } }).goSyntax,
    'v1.LabelSelector{MatchLabels:map[string]string{"app":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}',
  );
});
