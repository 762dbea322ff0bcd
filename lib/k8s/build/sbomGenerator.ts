/**
 * The scanner image BuildKit runs for `attest:sbom` when no generator is given (upstream
 * frontend/attestations/parse.go, defaultSBOMGenerator). It comes from Docker Hub, which air-gapped clusters
 * cannot reach: Options → SBOM Generator names a mirrored copy.
 */
export const DEFAULT_SBOM_GENERATOR = 'docker/buildkit-syft-scanner:stable-1';
