/** Tags dropped when no exclusion list is given: Flux's default (signature tags). */
export const DEFAULT_EXCLUDE = ['^.*\\.sig$'];
