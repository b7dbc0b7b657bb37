/** Media types praxi reads. Names follow the OCI image spec and Docker's distribution schema 2. */
export const MediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaTypes.ociIndex,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifest,
];

export function isIndexMediaType(t: string): boolean {
  return t === MediaTypes.ociIndex || t === MediaTypes.dockerManifestList;
}

export function isImageManifestMediaType(t: string): boolean {
  return t === MediaTypes.ociManifest || t === MediaTypes.dockerManifest;
}

export function isSchema1MediaType(t: string): boolean {
  return t === MediaTypes.dockerSchema1 || t === MediaTypes.dockerSchema1Signed;
}

/** The media type a layer's bytes have, from their first bytes (for sources that do not say: archives, the engine). */
export function sniffLayerMediaType(head: Buffer): string {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return MediaTypes.ociLayerGzip;
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return MediaTypes.ociLayerZstd;
  return MediaTypes.ociLayerTar;
}
