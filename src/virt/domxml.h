/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Domain XML on libxml2, without libvirt: the static library an-domxml, used by an-virt and by
 * accelnet-hook (which must not link libvirt). The XML may come from another host (migration),
 * and the daemon and the hook run as root, so every document is parsed the same careful way:
 *
 *  - at most DOMXML_MAX_SIZE bytes, refused before libxml2 sees them; no NUL byte inside;
 *  - XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC, as
 *    UTF-8; never NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE. No entity is expanded
 *    and no file or network resource is read: on top of the options, the parser context's
 *    entity resolver refuses every external entity and its external-subset handler is unset.
 *    libxml2's own limits stay in force (element depth 256, entity amplification: a "billion
 *    laughs" fails at once with "Detected an entity reference loop").
 *  - libxml2 prints nothing: each parse has its own parser context whose structured error
 *    handler records the error (it becomes virt_last_error()) and prints nothing. Errors that
 *    libxml2 raises outside a parser context (memory, output, encoding) go to its per-thread
 *    generic handlers: those are swapped for silent ones for the duration of each call and
 *    restored before it returns, so nothing else in the process (libvirt's own libxml2 use)
 *    sees a change.
 *
 * Reading never expands an entity either: attribute values and text are returned as written,
 * with any entity reference other than the five predefined ones left as "&name;". Element
 * names are matched on elements without a namespace (libvirt's own elements), except where a
 * namespace URI is given.
 *
 * A DomXml is used by one thread at a time; distinct documents may be used in parallel. */

#include <stdbool.h>
#include <stddef.h>

#include "shared/macro.h"

#define DOMXML_MAX_SIZE (16U * 1024U * 1024U)

typedef struct DomXml DomXml;
/* An element of a DomXml (libxml2's node). Borrowed: valid until the node is removed or the
 * document freed. */
typedef struct _xmlNode DomNode;

/* Parses `len` bytes. 0, or -EBADMSG (not well-formed, over the limit, a NUL byte; the
 * message is in virt_last_error()), -EINVAL (NULL), -ENOMEM. */
int domxml_parse(const char *buf, size_t len, DomXml **ret);
static inline int domxml_parse_string(const char *s, DomXml **ret) {
        return domxml_parse(s, s ? strlen(s) : 0, ret);
}
/* A new document with one empty root element. */
int domxml_new(const char *root_name, DomXml **ret);
DomXml *domxml_free(DomXml *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(DomXml *, domxml_free);

DomNode *domxml_root(const DomXml *x);
/* The element's local name. */
const char *domxml_name(const DomNode *n);
/* True for an element without a namespace named `name`. */
bool domxml_is(const DomNode *n, const char *name);

/* Child elements without a namespace, by name (NULL: any). NULL-safe: a NULL node has none.
 *   for (DomNode *c = domxml_child(n, "interface"); c; c = domxml_next(c, "interface")) */
DomNode *domxml_child(const DomNode *n, const char *name);
DomNode *domxml_next(const DomNode *n, const char *name);
/* Follows element names separated by '/': domxml_find(domain, "devices/interface"). */
DomNode *domxml_find(const DomNode *n, const char *path);
size_t domxml_count_children(const DomNode *n, const char *name);
/* First child element in namespace `uri` with local name `name` (any prefix). */
DomNode *domxml_child_ns(const DomNode *n, const char *uri, const char *name);

/* An attribute without a namespace, as written ("" when empty), or NULL. Borrowed from the
 * document, valid until the attribute changes or the document is freed. A value that is not
 * one text node (an entity reference inside) is built on read and kept with the document, at
 * most 100000 of them per document: past that such values read as NULL (text as ""). */
const char *domxml_attr(const DomNode *n, const char *name);
/* Attribute of the first child element: domxml_child_attr(iface, "mac", "address"). */
const char *domxml_child_attr(const DomNode *n, const char *child, const char *attr);
/* The element's character data (text and CDATA children, comments skipped), "" if none.
 * Borrowed like domxml_attr(). */
const char *domxml_text(const DomNode *n);

/* Editing. Values are taken literally (escaped on output). 0 or -ENOMEM. */
int domxml_set_attr(DomNode *n, const char *name, const char *value);
/* true when the attribute was there. */
bool domxml_unset_attr(DomNode *n, const char *name);
/* Appends a new empty element; NULL on OOM. */
DomNode *domxml_new_child(DomNode *parent, const char *name);
/* Appends a deep copy of `n` (from any document) to `parent`; NULL on OOM. */
DomNode *domxml_append_copy(DomNode *parent, const DomNode *n);
/* Unlinks and frees the element and everything below it. */
void domxml_remove(DomNode *n);
/* A new document whose root is a deep copy of `n` (namespaces it uses are declared on it). */
int domxml_copy(const DomNode *n, DomXml **ret);

/* The whole document, as UTF-8: comments, processing instructions, CDATA, the DOCTYPE and
 * entity references kept; an XML declaration only when the parsed input had one. */
int domxml_to_string(const DomXml *x, char **ret);
/* One element and its content, without an XML declaration (device XML for libvirt). */
int domxml_node_to_string(const DomNode *n, char **ret);

/* ---- errors: per thread, shared with the rest of src/virt (virt_last_error() in virt.h) ---- */

/* Sets the thread's message and returns r. */
int virt_error_set(int r, const char *fmt, ...) _printf_(2, 3);
/* Clears the thread's message (at the start of each public call). */
void virt_error_clear(void);
