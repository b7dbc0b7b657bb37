import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cvss2BaseScore,
  cvss3BaseScore,
  severityOfScore,
  severityOfText,
} from '../../activities/risk/severity';

describe('CVSS base scores (values from the NVD calculator)', () => {
  it('scores v3.1 and v3.0 vectors, scope unchanged and changed', () => {
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), 9.8);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H'), 7.5);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'), 6.1);
    assert.equal(cvss3BaseScore('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H'), 10);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N'), 2.8);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N'), 0);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L'), undefined);
    assert.equal(
      cvss3BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'),
      undefined,
    );
  });

  it('scores v2 vectors', () => {
    assert.equal(cvss2BaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P'), 7.5);
    assert.equal(cvss2BaseScore('AV:N/AC:M/Au:N/C:N/I:P/A:N'), 4.3);
    assert.equal(cvss2BaseScore('AV:N/AC:L/Au:N/C:C/I:C/A:C'), 10);
  });

  it('maps scores and database ratings to severities', () => {
    assert.deepEqual([0, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(severityOfScore), [
      'LOW',
      'LOW',
      'MODERATE',
      'MODERATE',
      'HIGH',
      'HIGH',
      'CRITICAL',
      'CRITICAL',
    ]);
    assert.equal(severityOfText('MODERATE'), 'MODERATE');
    assert.equal(severityOfText('medium'), 'MODERATE');
    assert.equal(severityOfText('unimportant'), 'LOW');
    assert.equal(severityOfText('not yet assigned'), undefined);
  });
});
