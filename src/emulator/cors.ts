/**
 * CORS for upload and download URLs from a bucket's `corsRules` (https://www.backblaze.com/docs/cloud-storage-cross-origin-resource-sharing-rules). Unmatched
 * cross-origin requests get no CORS headers, so the browser refuses them, as B2 does.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { B2CorsRule } from '../api/wire';

export type CorsOperation = 'b2_download_file_by_name' | 'b2_download_file_by_id' | 'b2_upload_file' | 'b2_upload_part';

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .toLowerCase()
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function originMatches(allowed: string, origin: string): boolean {
  if (allowed === '*') return true;
  if (allowed === 'https') return origin.toLowerCase().startsWith('https://');
  return wildcard(allowed).test(origin.toLowerCase());
}

function headerAllowed(allowed: string[] | undefined, name: string): boolean {
  return (allowed ?? []).some((pattern) => pattern === '*' || wildcard(pattern).test(name.toLowerCase()));
}

/** The first rule that admits this origin, operation and (for preflights) requested headers. */
export function matchRule(rules: readonly B2CorsRule[], origin: string, operation: CorsOperation, requestedHeaders: string[] = []): B2CorsRule | undefined {
  return rules.find(
    (rule) =>
      rule.allowedOperations.includes(operation) &&
      rule.allowedOrigins.some((o) => originMatches(o, origin)) &&
      requestedHeaders.every((h) => headerAllowed(rule.allowedHeaders, h)),
  );
}

function allowOrigin(rule: B2CorsRule, origin: string): string {
  return rule.allowedOrigins.includes('*') ? '*' : origin;
}

/** Headers answering a preflight that `rule` admits. */
export function preflightHeaders(rule: B2CorsRule, origin: string, method: string, requested: string[]): Record<string, string> {
  const h: Record<string, string> = {
    'Access-Control-Allow-Origin': allowOrigin(rule, origin),
    'Access-Control-Allow-Methods': method,
    'Access-Control-Max-Age': String(rule.maxAgeSeconds),
    Vary: 'Origin',
  };
  if (requested.length > 0) h['Access-Control-Allow-Headers'] = requested.join(', ');
  return h;
}

/** Headers for an actual cross-origin request that `rule` admits. */
export function actualHeaders(rule: B2CorsRule, origin: string): Record<string, string> {
  const h: Record<string, string> = { 'Access-Control-Allow-Origin': allowOrigin(rule, origin), Vary: 'Origin' };
  if (rule.exposeHeaders?.length) h['Access-Control-Expose-Headers'] = rule.exposeHeaders.join(', ');
  return h;
}

export function requestedHeaders(headers: IncomingHttpHeaders): string[] {
  const raw = headers['access-control-request-headers'];
  return (Array.isArray(raw) ? raw.join(',') : (raw ?? ''))
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * JSON API calls are not governed by bucket rules; the emulator answers them for any origin so a
 * page can reach it (how live B2 answers these is unconfirmed).
 */
export function apiCorsHeaders(origin: string, headers: IncomingHttpHeaders): Record<string, string> {
  const requested = requestedHeaders(headers);
  const h: Record<string, string> = {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'GET, POST',
    'Access-Control-Max-Age': '3600',
    Vary: 'Origin',
  };
  if (requested.length > 0) h['Access-Control-Allow-Headers'] = requested.join(', ');
  return h;
}
