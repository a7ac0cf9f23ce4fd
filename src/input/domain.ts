import { domainToASCII, domainToUnicode } from 'node:url';
import { isIP } from 'node:net';

/** A domain name as the user gave it, and its normalized A-label form. */
export interface DomainName {
  input: string;
  /** Lower-case A-labels, no trailing dot. */
  name: string;
}

/** Raised for a name that cannot be audited; its message is one line meant for the user. */
export class InputError extends Error {
  override name = 'InputError';
}

const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Whether an `xn--` label is a real A-label: its Punycode decodes to a U-label that encodes back to
 * the same label (RFC 5891 §5.4). node:url leaves a label it cannot decode as it is.
 */
function isValidALabel(label: string): boolean {
  const unicode = domainToUnicode(label);
  return unicode !== '' && unicode !== label && domainToASCII(unicode) === label;
}

/**
 * Validates and normalizes a domain name given on the command line or in a list:
 * internationalised names become A-labels, one trailing dot is accepted.
 */
export function parseDomainName(raw: string): DomainName {
  const input = raw;
  const text = raw.trim();
  const shown = JSON.stringify(raw);
  if (text === '') throw new InputError('empty domain name: expected a domain name such as example.com');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.includes('/')) {
    throw new InputError(`${shown} is a URL: expected a bare domain name such as example.com`);
  }
  if (text.includes('@')) {
    throw new InputError(`${shown} is an e-mail address: expected a domain name such as example.com (the part after @)`);
  }
  if (text.startsWith('-')) {
    throw new InputError(`${shown} starts with '-': expected a domain name such as example.com, not an option`);
  }
  if (/\s/.test(text)) throw new InputError(`${shown} contains white space: expected one domain name such as example.com`);
  const unrooted = text.endsWith('.') && text !== '.' ? text.slice(0, -1) : text;
  if (isIP(unrooted.replace(/^\[|\]$/g, ''))) {
    throw new InputError(`${shown} is an IP address: expected a domain name such as example.com`);
  }
  if (unrooted.split('.').some((l) => l === '')) {
    throw new InputError(`${shown} has an empty label: expected a domain name such as example.com`);
  }
  // IDNA: U-labels become A-labels; node's WHATWG implementation returns '' for names it rejects.
  const ascii = /^[\x00-\x7f]*$/.test(unrooted) ? unrooted.toLowerCase() : domainToASCII(unrooted);
  if (ascii === '') throw new InputError(`${shown} is not a valid internationalised domain name`);
  const labels = ascii.split('.');
  if (labels.length < 2) {
    throw new InputError(`${shown} has a single label: expected a fully qualified domain name such as example.com`);
  }
  for (const label of labels) {
    if (label.length > 63) {
      throw new InputError(`${shown} has a label of ${label.length} octets: a label is at most 63 (RFC 1035 §2.3.4)`);
    }
    if (!LDH_LABEL.test(label)) {
      throw new InputError(
        // JSON.stringify, as `shown`: a control character in the name must not reach the terminal raw.
        `${shown} has the label ${JSON.stringify(label)}: host names use letters, digits and inner hyphens only (RFC 1123 §2.1)`,
      );
    }
    if (label.startsWith('xn--') && !isValidALabel(label)) {
      throw new InputError(`${shown} has the label "${label}", which is not a valid A-label: its Punycode does not decode to an internationalised label (RFC 5891 §5.4)`);
    }
  }
  if (ascii.length > 253) {
    throw new InputError(`${shown} is ${ascii.length} octets long: a domain name is at most 253 (RFC 1035 §2.3.4)`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) {
    throw new InputError(`${shown} ends in an all-numeric label: expected a domain name such as example.com`);
  }
  return { input, name: ascii };
}
