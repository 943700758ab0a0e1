/**
 * Placeholder face of this folder; the subsystem registers itself from here.
 *
 * @module
 */
export {};
