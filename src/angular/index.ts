/**
 * rxb2/angular: rxb2 in Angular apps. `provideB2()` puts a `B2` client in dependency injection
 * (`inject(B2_CLIENT)`), `UploadTracker` runs a component's uploads with a progress signal and a
 * cancel per upload, and `toHttpEvents()` turns rxb2's events into Angular's `HttpEvent` union.
 * Needs `@angular/core` (and `@angular/common` for `toHttpEvents`); the main `rxb2` entry never
 * imports Angular.
 * @module rxb2/angular
 */
export { provideB2, B2_CLIENT } from './provide-b2';
export { UploadTracker, type TrackedUpload, type TrackableEvent, type UploadState } from './upload-tracker';
export { toHttpEvents, type B2HttpUserEvent } from './to-http-events';
