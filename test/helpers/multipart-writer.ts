/**
 * A writer that keeps multipart uploads in flight until it is killed: run as
 * `node --import tsx test/helpers/multipart-writer.ts s3://BUCKET/PREFIX ENDPOINT`
 * (credentials in the environment). It takes the repository's writer lock
 * and adds incompressible chunks forever; its packs (~8 MiB) are above the
 * 5 MiB multipart threshold it sets, so each goes up in parts. It prints
 * "writing" once it holds the lock. Not a test file (no `.test.` in the name).
 */
import {randomBytes} from 'node:crypto';
import {Repository} from '../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../source/engine/repository/writer.js';
import {S3Storage} from '../../source/engine/storage/s3.js';

const [location, endpoint] = process.argv.slice(2);
const MiB = 1024 * 1024;
const storage = new S3Storage(location!, {endpoint, multipartThreshold: 5 * MiB, partSize: 5 * MiB, concurrency: 8});
const repo = await Repository.open(storage);
const writer = await RepositoryWriter.begin(repo, 'multipart writer (test)');
process.stdout.write('writing\n');
for (;;) await writer.addChunk(randomBytes(MiB));
