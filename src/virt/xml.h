/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small XML reader and writer for the well-formed documents libvirt itself produces
 * (domain XML, device XML). Not a general XML processor:
 *
 *  - elements, attributes and text are kept; comments, processing instructions and the
 *    XML declaration are skipped; CDATA sections become text;
 *  - the five predefined entities and numeric character references are decoded; any
 *    other entity and any DOCTYPE is rejected;
 *  - namespace prefixes are kept as part of names ("qemu:commandline"), not resolved;
 *  - input is limited to XML_MAX_SIZE bytes and elements nest at most XML_MAX_DEPTH deep.
 *
 * The tree is plain data owned by its root: one xml_node_free() on the root frees it all.
 * Nothing here is shared between threads; a tree may be used by one thread at a time. */

#include <stdbool.h>
#include <stddef.h>

#include "shared/macro.h"

#define XML_MAX_DEPTH 64
#define XML_MAX_SIZE (16U * 1024U * 1024U)

typedef enum XmlNodeType {
        XML_NODE_ELEMENT,
        XML_NODE_TEXT,
} XmlNodeType;

typedef struct XmlAttr {
        char *name;
        char *value; /* decoded */
} XmlAttr;

typedef struct XmlNode XmlNode;
struct XmlNode {
        XmlNodeType type;
        char *name; /* element name; NULL for text */
        char *text; /* decoded text; NULL for elements */
        XmlAttr *attrs;
        size_t n_attrs;
        XmlNode *parent, *first, *last, *prev, *next;
};

/* Parses a complete document (exactly one root element). `len` is the number of bytes;
 * a NUL byte inside is malformed. Returns 0 and the root element, or
 *   -EBADMSG malformed input (ret_error_offset, if given, gets the byte offset),
 *   -EFBIG   more than XML_MAX_SIZE bytes,
 *   -ELOOP   elements nested deeper than XML_MAX_DEPTH,
 *   -ENOMEM. */
int xml_parse(const char *s, size_t len, XmlNode **ret_root, size_t *ret_error_offset);
static inline int xml_parse_string(const char *s, XmlNode **ret_root) {
        return xml_parse(s, strlen(s), ret_root, NULL);
}

/* Frees the node and everything below it; unlinks it from its parent first. Returns NULL. */
XmlNode *xml_node_free(XmlNode *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(XmlNode *, xml_node_free);

/* Element children by name (NULL name = any element). Borrowed pointers into the tree.
 *   for (XmlNode *c = xml_child(n, "interface"); c; c = xml_next(c, "interface")) */
XmlNode *xml_child(const XmlNode *n, const char *name);
XmlNode *xml_next(const XmlNode *n, const char *name);
/* Follows a path of element names separated by '/': xml_find(dom, "devices/interface"). */
XmlNode *xml_find(const XmlNode *n, const char *path);
size_t xml_count_children(const XmlNode *n, const char *name);

/* Attribute value (decoded), or NULL. Borrowed. */
const char *xml_attr(const XmlNode *n, const char *name);
/* The element's text (its first text child), "" if it has none. Borrowed. */
const char *xml_text(const XmlNode *n);
/* Attribute of a child element: xml_child_attr(iface, "mac", "address"). */
const char *xml_child_attr(const XmlNode *n, const char *child, const char *attr);

/* Building and editing. New nodes are owned by the caller until linked into a tree. */
XmlNode *xml_element_new(const char *name);
/* Sets (or replaces) an attribute; 0 or -ENOMEM. */
int xml_set_attr(XmlNode *n, const char *name, const char *value);
/* Removes an attribute; true if it was there. */
bool xml_unset_attr(XmlNode *n, const char *name);
/* Replaces all children by one text node; 0 or -ENOMEM. */
int xml_set_text(XmlNode *n, const char *text);
/* Links `child` (which must be unlinked) as the last child of `parent`. */
void xml_append(XmlNode *parent, XmlNode *child);
/* Creates an element, appends it to parent and returns it (borrowed), NULL on OOM. */
XmlNode *xml_new_child(XmlNode *parent, const char *name);
/* Unlinks the node from its parent (the caller owns it afterwards). */
void xml_unlink(XmlNode *n);
/* A deep copy (unlinked), NULL on OOM. */
XmlNode *xml_copy(const XmlNode *n);

/* Serialises the element and everything below it (no XML declaration). Attribute values
 * are written in single quotes; text and attribute values are escaped. 0 or -ENOMEM. */
int xml_serialize(const XmlNode *n, char **ret);

/* Escapes a string for use as text or as a quoted attribute value: & < > ' " and the
 * control characters \t \n \r become references. NULL on OOM. */
char *xml_escape(const char *s);
