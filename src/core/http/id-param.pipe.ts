import { Injectable, PipeTransform } from '@nestjs/common';
import { CommonErrors } from '../errors/app-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** IDs are opaque to clients: one that cannot exist is simply not found (404), never a database error. */
@Injectable()
export class IdParamPipe implements PipeTransform<string, string> {
  constructor(private readonly what = 'Resource') {}
  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw CommonErrors.notFound(this.what);
    return value.toLowerCase();
  }
}

