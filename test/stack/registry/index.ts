// The registry part of the local test stack. A real registry (distribution
// 2.8) with anonymous, htpasswd and bearer-token variants, seeding helpers, and a paginating test double.
export { startRegistry, type RegistryAuth, type RunningRegistry } from './realRegistry';
export { pushTestImage, pushTags, type PushTestImageOptions } from './seed';
export {
	startRegistryDouble,
	type RegistryDouble,
	type RegistryDoubleFaults,
	type RegistryDoubleOptions,
	type RecordedRequest,
} from './registryDouble';
export { MEDIA, PREDICATE, buildTestImage } from './ociImage';
