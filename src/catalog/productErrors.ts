import { DomainError } from '../core/errors.ts';

export class ProductNotFoundError extends DomainError {
  readonly code = 'PRODUCT.NOT_FOUND';
  constructor(readonly productId: string) {
    super(`Product ${productId} does not exist`);
  }
}

export class ProductAlreadyExistsError extends DomainError {
  readonly code = 'PRODUCT.ALREADY_EXISTS';
  constructor(readonly productId: string) {
    super(`Product ${productId} already exists`);
  }
}

export class ProductDiscontinuedError extends DomainError {
  readonly code = 'PRODUCT.DISCONTINUED';
  constructor(readonly productId: string) {
    super(`Product ${productId} is discontinued`);
  }
}

export class InsufficientStockError extends DomainError {
  readonly code = 'PRODUCT.INSUFFICIENT_STOCK';
  constructor(
    readonly productId: string,
    readonly requested: number,
    readonly available: number,
  ) {
    super(`Product ${productId} has ${available} units available; ${requested} requested`);
  }
}
