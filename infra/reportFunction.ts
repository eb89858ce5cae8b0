/**
 * The report route's Lambda (getReport), sized for a report at its 10,000-grant limit
 * (functions/app/reports.ts; docs/scale.md measures it):
 * - memory 1,769 MB: Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB
 *   (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). A report's time is
 *   mostly CPU (each grant's signed chain is verified: an ECDSA check per event), so at the default
 *   512 MB (0.29 vCPU) it would take 3.5× as long. It holds a few MB whatever the period.
 * - timeout 28 s: the HTTP API waits at most 30 s for an integration, and that cannot be raised
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html, "Maximum
 *   integration timeout"); 2 s less leaves API Gateway its own time. The report stops reading
 *   before the timeout and answers REPORT_TOO_SLOW (400: shorten the period) rather than being cut
 *   off, which the caller would see as a bare Internal Server Error.
 * A report is rare (security, a few times a day), so the larger function costs cents a month.
 */
const REPORT_FUNCTION = { memoryMb: 1769, timeoutSeconds: 28 } as const;

export { REPORT_FUNCTION };
