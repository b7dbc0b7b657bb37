import { normalizeName } from '../../models/label';
import type { Finding } from './finding';
import type { ImageReport } from './report';

/**
 * A CycloneDX 1.5 JSON SBOM of one image: the image is the subject (metadata.component, type
 * `container`), every finding a `library` component with its purl and praxi's provenance as properties
 * (`praxi:layerDigest`, `praxi:layerIndex`, `praxi:evidence`, `praxi:score`, `praxi:expert`), and each
 * vulnerability an entry in `vulnerabilities` pointing at the components it affects.
 */
export function purlOf(f: Pick<Finding, 'ecosystem' | 'name' | 'version'>): string {
  const v = encodeURIComponent(f.version);
  switch (f.ecosystem) {
    case 'pypi':
      return `pkg:pypi/${encodeURIComponent(normalizeName('pypi', f.name))}@${v}`;
    case 'npm': {
      // The scope is a namespace in purl: pkg:npm/%40babel/core@7.0.0.
      const [scope, name] = f.name.startsWith('@') ? f.name.split('/', 2) : [undefined, f.name];
      return `pkg:npm/${scope ? `${encodeURIComponent(scope)}/` : ''}${encodeURIComponent(name)}@${v}`;
    }
    case 'deb':
      return `pkg:deb/debian/${encodeURIComponent(f.name)}@${v}`;
  }
}

interface Property {
  name: string;
  value: string;
}

const CDX_SEVERITY = { LOW: 'low', MODERATE: 'medium', HIGH: 'high', CRITICAL: 'critical' } as const;

export function toCycloneDx(
  report: ImageReport,
  opts: { toolVersion?: string } = {},
): Record<string, unknown> {
  const hex = report.manifestDigest.replace(/^sha256:/, '');
  const components: Array<Record<string, unknown>> = [];
  const refOf = new Map<string, string>();
  for (const layer of report.layers) {
    for (const f of layer.findings) {
      const bomRef = `layer${layer.index}:${purlOf(f)}`;
      refOf.set(`${layer.index}\0${f.ecosystem}\0${f.name}\0${f.version}`, bomRef);
      const properties: Property[] = [
        { name: 'praxi:layerDigest', value: layer.digest },
        { name: 'praxi:layerIndex', value: String(layer.index) },
        { name: 'praxi:evidence', value: f.evidence },
        ...(f.versionUncertain ? [{ name: 'praxi:versionUncertain', value: 'true' }] : []),
        { name: 'praxi:score', value: f.score.toFixed(4) },
      ];
      if (f.expert) properties.push({ name: 'praxi:expert', value: f.expert });
      for (const loc of f.locations ?? []) properties.push({ name: 'praxi:location', value: loc });
      components.push({
        type: 'library',
        'bom-ref': bomRef,
        name: f.name,
        version: f.version,
        purl: purlOf(f),
        properties,
      });
    }
  }
  const vulnerabilities = report.vulnerabilities.map((v) => ({
    id: v.advisoryId,
    ...(v.url ? { source: { url: v.url } } : {}),
    ratings: [
      {
        severity: CDX_SEVERITY[v.severity],
        ...(v.cvssScore !== undefined ? { score: v.cvssScore, method: 'CVSSv31' } : { method: 'other' }),
      },
    ],
    ...(v.summary ? { description: v.summary } : {}),
    ...(v.aliases.length ? { references: v.aliases.map((id) => ({ id, source: { name: 'alias' } })) } : {}),
    ...(v.fixed.length ? { recommendation: `upgrade to ${v.fixed.join(' or ')}` } : {}),
    affects: [{ ref: refOf.get(`${v.layerIndex}\0${v.ecosystem}\0${v.name}\0${v.version}`) ?? purlOf(v) }],
  }));
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${uuidFromHex(hex)}`,
    version: 1,
    metadata: {
      timestamp: report.createdAt,
      tools: {
        components: [
          { type: 'application', name: 'praxi', ...(opts.toolVersion ? { version: opts.toolVersion } : {}) },
        ],
      },
      component: {
        type: 'container',
        'bom-ref': report.manifestDigest,
        name: report.repository ?? report.image,
        version: report.manifestDigest,
        properties: [
          { name: 'praxi:image', value: report.image },
          { name: 'praxi:modelVersion', value: report.modelVersion },
          ...(report.platform ? [{ name: 'praxi:platform', value: report.platform }] : []),
        ],
      },
    },
    components,
    ...(vulnerabilities.length ? { vulnerabilities } : {}),
  };
}

/** A stable serial number per image (the same digest always gives the same SBOM identity), shaped as a v4-style UUID. */
function uuidFromHex(hex: string): string {
  const h = (hex + '0'.repeat(32)).slice(0, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16], 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
