/** `jit request` for 30 minutes of s3:GetObject on the example bucket with prod-read, answering in JSON. */
const PROD_READ_REQUEST: readonly string[] = [
  'request',
  'prod-read',
  '--action',
  's3:GetObject',
  '--resource',
  'arn:aws:s3:::example-bucket/*',
  '--for',
  '30m',
  '--reason',
  'debug the nightly export job',
  '--json',
];

export { PROD_READ_REQUEST };
