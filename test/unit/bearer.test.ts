// bearerTokenMatches: the scheme in any case, exactly one space, the whole token.
import test from 'ava';
import { bearerTokenMatches } from '../../apiserver/credentials.js';

test('bearer scheme in any case; anything else refused', (t) => {
  const tok = 'abc123';
  for (const h of ['Bearer abc123', 'bearer abc123', 'BEARER abc123']) t.true(bearerTokenMatches(h, tok), h);
  for (const h of [undefined, '', 'Bearer', 'Bearer ', 'Bearer  abc123', 'Bearer abc12', 'Bearer abc1234', 'Basic abc123', 'abc123']) t.false(bearerTokenMatches(h, tok), String(h));
});
