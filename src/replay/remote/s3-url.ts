/**
 * `s3://` addresses on the command line. Kept apart from ./s3-source, which
 * loads the AWS SDK: checking the command line must not.
 */
import { UsageError } from '../event-source';

/** Where a `s3://` argument points. */
export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

/** Whether a command-line path is an S3 address. */
export function isS3Url(path: string): boolean {
  return /^s3:\/\//i.test(path);
}

/** `s3://bucket/prefix` (the prefix may be empty). */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(url);
  const bucket = m?.[1] ?? '';
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    throw new UsageError(`"${url}" is not an S3 address: give s3://BUCKET or s3://BUCKET/PREFIX (a bucket name has 3 to 63 lower-case letters, digits, dots and hyphens), e.g. s3://my-trail-bucket/AWSLogs/o-abc123def4/.`);
  }
  return { bucket, prefix: m[2] ?? '' };
}
