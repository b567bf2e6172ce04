import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors/app-error';
import { badInputFields } from '../core/http/input-guard';
import { IMAGE_LIMITS } from '../threads/images';

/** Photos a post from the pages may carry (uploaded by the drop zone's script, or sent with the form). */
export const PHOTO_MAX = 5;
export const PHOTO_FIELD = 'photos';
export const ATTACHMENT_FIELD = 'attachmentIds';

const POST_FORM_LIMITS = { fields: 12 + PHOTO_MAX, fieldSize: 160 * 1024, files: PHOTO_MAX, parts: 12 + 2 * PHOTO_MAX, fieldNameSize: 40, fileSize: IMAGE_LIMITS.maxBytes };

export interface PostForm {
  fields: Record<string, string>;
  /** Photos already uploaded (the drop zone's script, or a form shown again after an error): `attachmentIds`, repeated. */
  attachmentIds: string[];
  /** Image files sent with the form itself (the plain file input, JavaScript off). */
  photos: Buffer[];
  /** Too many or too large files: shown beside the photo field, not thrown (the text fields come first in the form and were read). */
  photoError?: string;
}

/**
 * A new-thread or reply form: readForm's fields, plus the repeated `attachmentIds` and up to
 * PHOTO_MAX image files of the `photos` input (each at most IMAGE_LIMITS.maxBytes; an input left
 * empty sends an empty part, which is no file). Files are read whole into memory: at most
 * PHOTO_MAX x 10 MiB per request, the same bound as PHOTO_MAX API uploads.
 */
export async function readPostForm(request: FastifyRequest): Promise<PostForm> {
  if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'Forms are sent as multipart/form-data');
  const fields: Record<string, string> = {};
  const attachmentIds: string[] = [];
  const photos: Buffer[] = [];
  let photoError: string | undefined;
  try {
    for await (const part of request.parts({ limits: POST_FORM_LIMITS })) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        if (part.fieldname === PHOTO_FIELD && data.length) photos.push(data);
        continue;
      }
      if (part.valueTruncated) throw new AppError('FORM_TOO_LARGE', 413, 'A field of this form is too long');
      const value = String(part.value ?? '');
      if (part.fieldname === ATTACHMENT_FIELD) {
        if (value && !attachmentIds.includes(value)) attachmentIds.push(value);
      } else if (!(part.fieldname in fields)) fields[part.fieldname] = value;
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as { code?: string })?.code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') photoError = `Photos may be at most ${IMAGE_LIMITS.maxBytes / 1024 / 1024} MiB each`;
    else if (code === 'FST_FILES_LIMIT') photoError = `At most ${PHOTO_MAX} photos per post`;
    else throw new AppError('MALFORMED_FORM', 400, 'The form could not be read');
  }
  const bad = badInputFields({ params: {}, query: {}, body: { ...fields, [ATTACHMENT_FIELD]: attachmentIds.join(',') } });
  if (bad.length) throw new AppError('VALIDATION_FAILED', 400, 'The form contains characters no field can hold', {}, bad);
  if (!photoError && attachmentIds.length + photos.length > PHOTO_MAX) photoError = `At most ${PHOTO_MAX} photos per post`;
  return { fields, attachmentIds, photos, photoError };
}

/** One image of the drop zone's upload (field `file`), read whole; too large is 413, anything else malformed 400. */
export async function readPhotoPart(request: FastifyRequest): Promise<Buffer> {
  if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'Send the photo as multipart/form-data in the field "file"');
  const tooLarge = () => new AppError('IMAGE_TOO_LARGE', 413, `Photos may be at most ${IMAGE_LIMITS.maxBytes / 1024 / 1024} MiB each`);
  try {
    const file = await request.file({ limits: { fileSize: IMAGE_LIMITS.maxBytes, files: 1, fields: 2, parts: 3 } });
    if (!file || file.fieldname !== 'file') throw new AppError('VALIDATION_FAILED', 400, 'Choose a photo to upload');
    const data = await file.toBuffer();
    if (file.file.truncated) throw tooLarge();
    if (!data.length) throw new AppError('VALIDATION_FAILED', 400, 'Choose a photo to upload');
    return data;
  } catch (err) {
    if (err instanceof AppError) throw err;
    if ((err as { statusCode?: number })?.statusCode === 413) throw tooLarge();
    throw new AppError('MALFORMED_FORM', 400, 'The upload could not be read');
  }
}
