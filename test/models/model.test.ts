import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPraxiError } from '../../activities/errors';
import { LocalStore } from '../../activities/store';
import { evaluate } from '../../models/evaluate';
import { digestOf } from '../../models/expert';
import { mergeCandidates } from '../../models/merge';
import { loadModel } from '../../models/model';
import { currentVersion, getManifest, listModels, publishModel, rollback } from '../../models/registry';
import { publishTrained, recalibrate, trainAdd, trainFull } from '../../models/train/index';
import { TrainingPool } from '../../models/train/pool';
import { tempDir } from '../harness/process';
import { smallWorld } from './fixtures';

describe('model: training, registry, inference, incremental training', () => {
  const w = smallWorld();
  const store = new LocalStore(tempDir('models'));
  const pool = new TrainingPool(2);
  let first = '';

  it('trains all labels, publishes a version and predicts held-out layers', async () => {
    const trained = await trainFull([...w.train], { validation: w.validation, pool });
    const manifest = await publishTrained(store, trained);
    first = manifest.version;
    assert.equal(await currentVersion(store), first);
    assert.equal(manifest.schema, 'praxi.model/v1');
    const trainLabels = [...new Set(w.train.flatMap((s) => s.labels ?? []))].sort();
    assert.deepEqual(manifest.labels, trainLabels);
    assert.equal(manifest.tokenizer.name, 'columbus');
    // verpak with group size 3: one expert per package here.
    assert.equal(manifest.experts.length, trainLabels.length / 3);
    for (const e of manifest.experts) {
      assert.equal(e.key, `models/experts/sha256/${e.id}.json`);
      assert.equal(`sha256:${digestOf(await store.get(e.key))}`, e.digest);
    }
    assert.ok(Object.keys(manifest.calibration.thresholds).length > 0, 'thresholds calibrated');

    const model = await loadModel(store);
    assert.equal(model.version, first);
    assert.equal(await loadModel(store, first), model, 'loaded models are cached per version');
    const sample = w.test.find((s) => s.kind === 'single') as (typeof w.test)[number];
    const selected = model.select(sample);
    assert.ok(
      selected.length > 0 && selected.length < manifest.experts.length,
      `selected ${selected.length}`,
    );
    const predictions = model.predict(sample);
    assert.ok(
      predictions.every((p) => p.score >= 0.5 && p.label === `${p.ecosystem}:${p.name}==${p.version}`),
    );

    const report = evaluate(model, w.test);
    assert.ok(report.all.package.micro.f1 >= 0.9, `package F1 ${report.all.package.micro.f1}`);
    assert.ok(report.single.version.micro.f1 >= 0.8, `single version F1 ${report.single.version.micro.f1}`);
    assert.ok(
      report.base.layers === 20 && report.base.findingsPerLayer <= 1,
      `base FP ${report.base.findingsPerLayer}`,
    );
    // Per ecosystem, single- and multi-label samples apart: together they are the ecosystem's slice.
    for (const [e, slice] of Object.entries(report.byEcosystem)) {
      const kinds = report.byEcosystemKind[e as keyof typeof report.byEcosystemKind] ?? {};
      const tp = (k: 'single' | 'multi') => kinds[k]?.version.micro.tp ?? 0;
      assert.equal(tp('single') + tp('multi'), slice?.version.micro.tp, e);
      assert.equal((kinds.single?.samples ?? 0) + (kinds.multi?.samples ?? 0), slice?.samples, e);
    }
    assert.ok(Object.values(report.byEcosystemKind).some((k) => k?.multi && k.single));
    const g = report.indistinct;
    assert.equal(g.single.micro.tp + g.multi.micro.tp, g.all.micro.tp);
    assert.equal(g.single.micro.fp + g.multi.micro.fp, g.all.micro.fp);
  });

  it('finds the same whether it merges every score or only the candidates the pipeline ships', async () => {
    const model = await loadModel(store, first);
    // Layers with part of their files gone, so that versions pass while package boosters do not and the
    // package gate has to judge from the experts' signatures alone.
    const thinned = w.test.map((s) => ({
      ...s,
      tags: Object.fromEntries(Object.entries(s.tags).filter((_, i) => i % 3 !== 0)),
    }));
    let findings = 0;
    for (const minPackageCoverage of [0.25, 0.5, 0.75, 0.9]) {
      const calibration = { ...model.manifest.calibration, minPackageCoverage };
      for (const s of [...w.test, ...thinned]) {
        const raw = model.predictExperts(s, model.select(s));
        const all = model.merge(raw, s, calibration).map((p) => p.label);
        const shipped = model.merge(mergeCandidates(raw, calibration), s, calibration).map((p) => p.label);
        assert.deepEqual(shipped, all);
        findings += all.length;
      }
    }
    assert.ok(findings > 0);
    // predict scores in one pass every expert the tags move; the pipeline selects experts, then scores them.
    for (const s of [...w.test, ...thinned])
      assert.deepEqual(
        model.predict(s),
        model.merge(model.candidates(model.predictExperts(s, model.select(s))), s),
      );
  });

  it('finds the same whichever side it intersects a layer from: tagCount is only a hint', async () => {
    const model = await loadModel(store, first);
    let findings = 0;
    for (const s of w.test) {
      const fromKeys = { ...s, tagCount: undefined };
      const want = model.predict(fromKeys);
      // 1e9 makes every layer probe the model's vocabulary; 0 and a count of 1 walk the layer's own tags.
      for (const tagCount of [0, 1, 1e9]) {
        const layer = { ...s, tagCount };
        assert.deepEqual(model.select(layer), model.select(fromKeys));
        const got = model.predict(layer);
        assert.deepEqual(
          got.map((p) => p.label),
          want.map((p) => p.label),
        );
        // Sums over the shared tags run in another order, so scores may differ in the last bits only.
        got.forEach((p, i) => assert.ok(Math.abs(p.score - want[i].score) < 1e-9));
      }
      findings += want.length;
    }
    assert.ok(findings > 0);
  });

  it('refuses tagsets from another tokenizer', async () => {
    const model = await loadModel(store, first);
    const s = { ...w.test[0], tokenizer: { name: 'columbus', version: 'other' } };
    assert.throws(
      () => model.predict(s),
      (e) => isPraxiError(e) && e.code === 'BAD_INPUT',
    );
  });

  it('adds a package by training only its experts, reusing every existing artifact unchanged', async () => {
    const base = await getManifest(store, first);
    const before = new Map<string, string>();
    for (const e of base.experts) before.set(e.key, digestOf(await store.get(e.key)));
    const oldReport = evaluate(await loadModel(store, first), w.test);

    // The data holds the new packages and, as negatives, the old training samples.
    const { manifest, added, timings } = await trainAdd(store, first, [...w.extraTrain, ...w.train], {
      pool,
    });
    assert.deepEqual(added, [...w.extraLabels].sort());
    assert.equal(manifest.parent, first);
    assert.equal(await currentVersion(store), manifest.version);
    assert.deepEqual(manifest.experts.slice(0, base.experts.length), base.experts);
    assert.equal(manifest.experts.length, base.experts.length + 2);
    for (const [key, digest] of before)
      assert.equal(digestOf(await store.get(key)), digest, `${key} changed`);
    assert.deepEqual(manifest.labels, [...base.labels, ...added].sort());
    assert.ok(timings.trainMs < 5000, `training 2 packages took ${timings.trainMs} ms`);

    const model = await loadModel(store);
    const extra = evaluate(model, w.extraTest);
    assert.ok(extra.all.package.micro.f1 >= 0.9, `new packages F1 ${extra.all.package.micro.f1}`);
    const oldAfter = evaluate(model, w.test);
    assert.ok(
      oldAfter.all.version.micro.f1 >= oldReport.all.version.micro.f1 - 0.02,
      `old labels F1 ${oldReport.all.version.micro.f1} → ${oldAfter.all.version.micro.f1}`,
    );
  });

  it('lists versions, rolls back by switching the pointer, keeps versions immutable', async () => {
    const versions = await listModels(store);
    assert.equal(versions.length, 2);
    assert.equal(versions.filter((v) => v.current).length, 1);
    assert.equal(versions[1].current, true);
    await rollback(store, first);
    assert.equal(await currentVersion(store), first);
    assert.equal((await loadModel(store)).version, first);
    const m = await getManifest(store, first);
    await assert.rejects(
      publishModel(store, m, m.experts, { version: first }),
      (e) => isPraxiError(e) && /immutable/.test(e.message),
    );
    // A version never names an expert the store lacks, unless the caller vouches for it (a base's experts).
    const missing = { ...m.experts[0], key: 'models/experts/sha256/missing.json' };
    await assert.rejects(
      publishModel(store, m, [...m.experts, missing], { makeCurrent: false }),
      (e) => isPraxiError(e) && e.code === 'MODEL_ERROR' && /missing\.json is not stored/.test(e.message),
    );
    await assert.rejects(
      publishModel(store, m, [...m.experts, missing], {
        makeCurrent: false,
        stored: new Set(m.experts.map((e) => e.key)),
      }),
      (e) => isPraxiError(e) && /missing\.json is not stored/.test(e.message),
    );
    await assert.rejects(
      rollback(store, 'no-such-version'),
      (e) => isPraxiError(e) && e.code === 'NOT_FOUND',
    );
    await pool.close();
  });

  it('recalibrates into a new version that reuses every expert', async () => {
    const base = await getManifest(store, first);
    const m = await recalibrate(store, first, w.validation, { makeCurrent: false });
    assert.equal(m.parent, first);
    assert.deepEqual(m.experts, base.experts);
    assert.deepEqual(m.labels, base.labels);
    assert.ok(m.calibration.minThreshold !== undefined && m.calibration.minPackageThreshold !== undefined);
    assert.equal(await currentVersion(store), first);
    const report = evaluate(await loadModel(store, m.version), w.test);
    assert.ok(report.all.package.micro.f1 >= 0.9, `package F1 ${report.all.package.micro.f1}`);
  });

  it('rejects an expert artifact whose bytes do not match the manifest digest', async () => {
    const m = await getManifest(store, first);
    const dir = tempDir('models-corrupt');
    const bad = new LocalStore(dir);
    for (const e of m.experts) await bad.put(e.key, await store.get(e.key));
    await bad.put(m.experts[0].key, Buffer.from('{"schema":"praxi.expert/v1","boosters":[]}'));
    await bad.put(`models/versions/${first}.json`, JSON.stringify(m));
    await assert.rejects(loadModel(bad, first), (e) => isPraxiError(e) && e.code === 'DIGEST_MISMATCH');
  });
});
