import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { PraxiError } from '../../errors';
import type { DebLayout } from '../variants';

/**
 * The Debian side of the static path: which packages `apt-get install` would add to the base (a
 * simulation by this host's apt against the base image's dpkg status), the files each `.deb` holds
 * (`dpkg-deb -c`), and the dpkg database files and apt caches an install writes.
 */
export interface DebPackage {
  name: string;
  version: string;
  arch: string;
}

export interface DebFiles extends DebPackage {
  files: string[];
  links: string[];
  /** Control members dpkg keeps in /var/lib/dpkg/info (postinst, md5sums, conffiles, ...). */
  control: string[];
  multiArchSame: boolean;
}

function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 300_000,
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8'))
        : reject(
            new PraxiError('INTERNAL', `${cmd} ${args.slice(0, 6).join(' ')} exited ${code}: ${err.trim()}`),
          ),
    );
  });
}

/** Packages `apt-get install` would unpack on a system whose dpkg status file is `statusFile`. */
export async function simulateInstall(
  packages: Array<{ name: string; version: string }>,
  statusFile: string,
  recommends: boolean,
): Promise<DebPackage[]> {
  const out = await run('apt-get', [
    '-s',
    '-q',
    '-o',
    `Dir::State::status=${statusFile}`,
    '-o',
    `APT::Install-Recommends=${recommends ? 'true' : 'false'}`,
    'install',
    ...packages.map((p) => `${p.name}=${p.version}`),
  ]);
  const added: DebPackage[] = [];
  for (const line of out.split('\n')) {
    const m = /^Inst (\S+?)(?::(\S+))? \((\S+) .*?\[(\S+)\]\)/.exec(line);
    if (m) added.push({ name: m[1], version: m[3], arch: m[2] ?? m[4] });
  }
  return added;
}

/** The .deb of `pkg` in `cacheDir`, downloaded with this host's apt when not there yet. */
export async function debFile(pkg: DebPackage, cacheDir: string): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const file = path.join(cacheDir, archiveName(pkg));
  if (!existsSync(file)) {
    await run('apt-get', ['download', '-q', `${pkg.name}=${pkg.version}`], { cwd: cacheDir });
    if (!existsSync(file)) {
      // apt names the file after the package's own version string; find what it wrote.
      const got = (await readdir(cacheDir)).find((f) => f.startsWith(`${pkg.name}_`) && f.endsWith('.deb'));
      if (!got)
        throw new PraxiError('NOT_FOUND', `apt-get download ${pkg.name}=${pkg.version} wrote no file`);
      return path.join(cacheDir, got);
    }
  }
  return file;
}

/** apt's archive file name: the epoch colon is escaped as %3a. */
export function archiveName(pkg: DebPackage): string {
  return `${pkg.name}_${pkg.version.replace(/:/g, '%3a')}_${pkg.arch}.deb`;
}

export async function readDeb(pkg: DebPackage, file: string): Promise<DebFiles> {
  const listing = await run('dpkg-deb', ['-c', file]);
  const files: string[] = [];
  const links: string[] = [];
  for (const line of listing.split('\n')) {
    if (!line) continue;
    // "-rw-r--r-- root/root 1234 2024-01-01 00:00 ./usr/bin/x" (links add " -> target").
    const m = /^(\S)\S*\s+\S+\s+\d+\s+\S+\s+\S+\s+\.?\/?(.*?)(?: -> .*| link to .*)?$/.exec(line);
    if (!m || !m[2]) continue;
    if (m[1] === 'l') links.push(m[2]);
    else if (m[1] === 'd') files.push(m[2].endsWith('/') ? m[2] : `${m[2]}/`);
    else files.push(m[2]);
  }
  const control = (await run('sh', ['-c', `dpkg-deb --ctrl-tarfile "$1" | tar -t`, 'sh', file]))
    .split('\n')
    .map((l) => l.replace(/^\.\//, ''))
    .filter((l) => l && l !== 'control' && !l.endsWith('/'));
  const multiArch = (await run('dpkg-deb', ['-f', file, 'Multi-Arch'])).trim();
  return { ...pkg, files, links, control, multiArchSame: multiArch === 'same' };
}

/** Paths an install of `debs` writes in `layout` (the requested package first, then what apt added). */
export function debInstallPaths(debs: DebFiles[], layout: DebLayout): { files: string[]; links: string[] } {
  const files: string[] = [...layout.extras];
  const links: string[] = [];
  let sharedLibs = false;
  for (const d of debs) {
    files.push(...d.files.map(mergedUsr));
    links.push(...d.links.map(mergedUsr));
    sharedLibs ||= d.files.some((f) => /\.so(\.\d+)*$/.test(f));
    const infoName = d.multiArchSame ? `${d.name}:${d.arch}` : d.name;
    files.push(`var/lib/dpkg/info/${infoName}.list`);
    for (const c of d.control) files.push(`var/lib/dpkg/info/${infoName}.${c}`);
    if (layout.keepsArchives) files.push(`var/cache/apt/archives/${archiveName(d)}`);
  }
  // libc-bin's trigger reruns ldconfig when a package ships shared libraries.
  if (sharedLibs) files.push('etc/ld.so.cache', 'var/cache/ldconfig/aux-cache');
  return { files, links };
}

/** Bookworm is merged-/usr: /bin, /sbin and /lib* are links into /usr, so files land under usr/. */
export function mergedUsr(p: string): string {
  return p.replace(/^(bin|sbin|lib|lib32|lib64|libx32)(\/|$)/, 'usr/$1$2');
}
