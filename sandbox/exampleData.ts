import { BucketAlreadyOwnedByYou, CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** The object the README's walkthrough reads with a grant (its example scope: `example-bucket/*`). */
const EXAMPLE_OBJECT = {
  bucket: 'example-bucket',
  key: 'nightly/report.csv',
  body: 'date,rows,status\n2026-11-22,1042,ok\n',
} as const;

/** Puts the walkthrough's bucket and object in the emulator, so an in-scope call has something to read. */
const seedExampleData = async (s3: S3Client): Promise<void> => {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: EXAMPLE_OBJECT.bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  await s3.send(
    new PutObjectCommand({ Bucket: EXAMPLE_OBJECT.bucket, Key: EXAMPLE_OBJECT.key, Body: EXAMPLE_OBJECT.body })
  );
};

export { EXAMPLE_OBJECT, seedExampleData };
