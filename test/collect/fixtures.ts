import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import type Docker from 'dockerode';
import { importRootfs } from '../../activities/collect/base-images';
import { tempDir } from '../harness/process';

/** Test fixtures the collector tests build themselves: a busybox base image, a wheel, a .deb, an HTTP file server. */

export const BUSYBOX_IMAGE = 'praxi-test-collect/busybox:1';
const APPLETS = [
  'sh',
  'base64',
  'mv',
  'mkdir',
  'touch',
  'unzip',
  'echo',
  'rm',
  'sleep',
  'cat',
  'ln',
  'printf',
  'chmod',
  'ls',
  'dpkg',
];

/** A busybox root file system from Debian's busybox-static, imported with the collector's own importer. */
export function busyboxImage(docker: Docker): Promise<string> {
  return busyboxRootfsImage(docker, BUSYBOX_IMAGE, {
    dirs: ['bin', 'etc', 'tmp', 'usr/local/bin', 'var/lib/dpkg/info', 'var/lib/dpkg/updates', 'run'],
    applets: APPLETS,
    files: { 'etc/motd': 'hello\n', 'var/lib/dpkg/status': '' },
  });
}

/** Builds (once per engine) an image of busybox with these directories, applet links and files. */
async function busyboxRootfsImage(
  docker: Docker,
  ref: string,
  spec: { dirs: string[]; applets: readonly string[]; files: Record<string, string> },
): Promise<string> {
  try {
    await docker.getImage(ref).inspect();
    return ref;
  } catch {
    // not built yet
  }
  const root = tempDir('busybox-rootfs');
  for (const d of spec.dirs) mkdirSync(path.join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
  execFileSync('chmod', ['755', path.join(root, 'bin/busybox')]);
  for (const a of spec.applets) symlinkSync('busybox', path.join(root, 'bin', a));
  for (const [f, content] of Object.entries(spec.files)) writeFileSync(path.join(root, f), content);
  await importRootfs(docker, root, ref);
  return ref;
}

/** A minimal zip writer (deflate), independent of the reader under test. */
export function buildZip(members: Array<{ name: string; content: string | Buffer }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const data = Buffer.from(m.content);
    const comp = deflateRawSync(data);
    const name = Buffer.from(m.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, comp);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(comp.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** The wheel of a small made-up project `praxidemo` 1.0 with a module, a subpackage, a console script and a data script. */
export function demoWheel(): { filename: string; bytes: Buffer } {
  const di = 'praxidemo-1.0.dist-info';
  const members = [
    { name: 'praxidemo/__init__.py', content: 'VERSION = "1.0"\n' },
    { name: 'praxidemo/cli.py', content: 'def main():\n    print("demo")\n' },
    { name: 'praxidemo/sub/__init__.py', content: '' },
    { name: 'praxidemo/sub/data.json', content: '{}' },
    { name: 'praxidemo-1.0.data/scripts/praxidemo-tool', content: '#!/bin/sh\necho tool\n' },
    { name: `${di}/METADATA`, content: 'Metadata-Version: 2.1\nName: praxidemo\nVersion: 1.0\n' },
    { name: `${di}/WHEEL`, content: 'Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n' },
    {
      name: `${di}/entry_points.txt`,
      content: '[console_scripts]\npraxidemo = praxidemo.cli:main\n\n[other]\nx = y\n',
    },
    { name: `${di}/top_level.txt`, content: 'praxidemo\n' },
    { name: `${di}/RECORD`, content: '' },
  ];
  return { filename: 'praxidemo-1.0-py3-none-any.whl', bytes: buildZip(members) };
}

/** Serves files from memory over HTTP on loopback, honouring single byte ranges (as PyPI's CDN does). */
export async function serveFiles(
  files: Record<string, Buffer>,
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    requests.push(`${req.url} ${req.headers.range ?? 'whole'}`);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (m) {
      const start = Number(m[1]);
      const end = Math.min(Number(m[2]), body.length - 1);
      res.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${body.length}`,
        'content-length': end - start + 1,
      });
      res.end(body.subarray(start, end + 1));
    } else {
      res.writeHead(200, { 'content-length': body.length }).end(body);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A real .deb built by dpkg-deb from a tree the test describes. */
export function buildDeb(name: string, version: string, files: Record<string, string>): string {
  const root = tempDir(`deb-${name}`);
  mkdirSync(path.join(root, 'DEBIAN'));
  writeFileSync(
    path.join(root, 'DEBIAN/control'),
    `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: praxi <praxi@example.org>\nDescription: test package\n`,
  );
  writeFileSync(path.join(root, 'DEBIAN/postinst'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), content);
  }
  const out = path.join(tempDir('debs'), `${name}_${version}_all.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, out], { stdio: 'ignore' });
  return out;
}

export const BUSYBOX_WGET_IMAGE = 'praxi-test-collect/busybox-wget:1';

/**
 * The busybox base plus `wget`, built from its own root file system (not on top of BUSYBOX_IMAGE, so
 * tests counting containers by ancestor never see each other's). On host networking a command can
 * report to a loopback server of the test, e.g. that it started.
 */
export function busyboxWgetImage(docker: Docker): Promise<string> {
  return busyboxRootfsImage(docker, BUSYBOX_WGET_IMAGE, {
    dirs: ['bin', 'etc', 'tmp', 'var/lib/dpkg', 'run'],
    applets: [...APPLETS, 'wget'],
    files: { 'var/lib/dpkg/status': '' },
  });
}
