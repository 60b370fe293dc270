/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxml2 behind a small API (see domxml.h): careful parsing, reading without expanding
 * entities, editing and writing the document back. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include "shared/strutil.h"
#include "virt/domxml.h"
#include "virt/virt.h"

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC)
#define STRINGS_MAX 100000U /* values built by reads of one document; reads past it fail */

struct DomXml {
        xmlDoc *doc;
        bool has_decl; /* the parsed input began with an XML declaration */
        /* Values that are not one text node in the tree (an entity reference inside, text
         * split by a comment) are built on read and kept here until the document is freed. */
        char **strings;
        size_t n_strings;
};

/* ---- errors: per thread, like errno (virt_last_error() is declared in virt.h) ---- */

static __thread char error_message[512];

const char *virt_last_error(void) {
        return error_message;
}

void virt_error_clear(void) {
        error_message[0] = '\0';
}

int virt_error_set(int r, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(error_message, sizeof(error_message), fmt, ap);
        va_end(ap);
        if (n >= (int) sizeof(error_message)) {
                /* Cut short (values quoted from untrusted XML can be long): never leave half
                 * a UTF-8 sequence, the message may end up on the bus. */
                size_t l = sizeof(error_message) - 1, lead = l;
                while (lead > 0 && ((unsigned char) error_message[lead - 1] & 0xC0) == 0x80)
                        lead--;
                if (lead > 0 && ((unsigned char) error_message[lead - 1] & 0x80)) {
                        unsigned char c = (unsigned char) error_message[lead - 1];
                        size_t want = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
                        if (l - (lead - 1) < want)
                                error_message[lead - 1] = '\0';
                }
        }
        return r;
}

/* ---- libxml2 set-up and silence ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libxml2(void) {
        /* Not reentrant in libxml2 2.9: done once, before any thread parses. */
        xmlInitParser();
}

static void quiet_generic(void *ctx, const char *msg, ...) {
}

static void quiet_structured(void *ctx, xmlErrorPtr e) {
}

/* libxml2's handlers for errors raised outside a parser context are per thread: they are
 * replaced by silent ones during our calls and put back afterwards. */
typedef struct Quiet {
        xmlGenericErrorFunc generic;
        void *generic_ctx;
        xmlStructuredErrorFunc structured;
        void *structured_ctx;
} Quiet;

static Quiet quiet_begin(void) {
        Quiet q = { xmlGenericError, xmlGenericErrorContext, xmlStructuredError, xmlStructuredErrorContext };
        xmlSetGenericErrorFunc(NULL, quiet_generic);
        xmlSetStructuredErrorFunc(NULL, quiet_structured);
        return q;
}

static void quiet_end(const Quiet *q) {
        xmlSetGenericErrorFunc(q->generic_ctx, q->generic);
        xmlSetStructuredErrorFunc(q->structured_ctx, q->structured);
}

/* The parser context's own error handler: keeps the first error, prints nothing. */
typedef struct ParseError {
        bool set;
        int code, line;
        char message[256];
} ParseError;

static void record_error(void *userdata, xmlErrorPtr e) {
        xmlParserCtxt *ctxt = userdata;
        ParseError *pe = ctxt ? ctxt->_private : NULL;

        if (!pe || pe->set || !e || e->level < XML_ERR_ERROR)
                return;
        pe->set = true;
        pe->code = e->code;
        pe->line = e->line;
        snprintf(pe->message, sizeof(pe->message), "%s", e->message ? e->message : "unknown error");
        size_t l = strlen(pe->message);
        while (l > 0 && (pe->message[l - 1] == '\n' || pe->message[l - 1] == ' '))
                pe->message[--l] = '\0';
}

/* Never load an external entity or DTD, whatever the options say. */
static xmlParserInputPtr refuse_entity(void *ctx, const xmlChar *public_id, const xmlChar *system_id) {
        return NULL;
}

static bool starts_with_declaration(const char *buf, size_t len) {
        if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
                buf += 3;
                len -= 3;
        }
        return len >= 6 && memcmp(buf, "<?xml", 5) == 0 &&
               (buf[5] == ' ' || buf[5] == '\t' || buf[5] == '\n' || buf[5] == '\r');
}

int domxml_parse(const char *buf, size_t len, DomXml **ret) {
        _cleanup_(domxml_freep) DomXml *x = NULL;
        ParseError pe = {};
        xmlParserCtxt *ctxt;
        xmlDoc *doc;
        const char *nul;

        if (!buf || !ret)
                return virt_error_set(-EINVAL, "No XML document");
        if (len > DOMXML_MAX_SIZE)
                return virt_error_set(-EBADMSG, "The XML document is %zu bytes, more than the limit of %u", len,
                                      DOMXML_MAX_SIZE);
        if (len == 0)
                return virt_error_set(-EBADMSG, "The XML document is empty");
        nul = memchr(buf, '\0', len);
        if (nul)
                return virt_error_set(-EBADMSG, "The XML document holds a NUL byte at offset %zu", (size_t) (nul - buf));

        (void) pthread_once(&init_once, init_libxml2);
        x = calloc(1, sizeof(*x));
        if (!x)
                return virt_error_set(-ENOMEM, "Out of memory");
        ctxt = xmlNewParserCtxt();
        if (!ctxt)
                return virt_error_set(-ENOMEM, "Out of memory");
        ctxt->_private = &pe;
        ctxt->sax->serror = record_error;
        ctxt->sax->resolveEntity = refuse_entity;
        ctxt->sax->externalSubset = NULL;

        Quiet q = quiet_begin();
        doc = xmlCtxtReadMemory(ctxt, buf, (int) len, NULL, "UTF-8", PARSE_OPTIONS);
        bool ok = doc && ctxt->wellFormed;
        if (!ok && !pe.set) {
                /* an error raised without the handler: take the context's last one */
                const xmlError *e = xmlCtxtGetLastError(ctxt);
                if (e && e->code != XML_ERR_OK) {
                        pe.code = e->code;
                        pe.line = e->line;
                        snprintf(pe.message, sizeof(pe.message), "%s", e->message ? e->message : "unknown error");
                }
        }
        xmlFreeParserCtxt(ctxt);
        if (!ok)
                xmlFreeDoc(doc);
        quiet_end(&q);

        if (!ok) {
                if (pe.code == XML_ERR_NO_MEMORY)
                        return virt_error_set(-ENOMEM, "Out of memory");
                size_t l = strlen(pe.message);
                while (l > 0 && (pe.message[l - 1] == '\n' || pe.message[l - 1] == ' '))
                        pe.message[--l] = '\0';
                return virt_error_set(-EBADMSG, "Not well-formed XML (line %d): %s", pe.line,
                                      pe.message[0] ? pe.message : "no document");
        }
        x->doc = doc;
        doc->_private = x;
        x->has_decl = starts_with_declaration(buf, len);
        *ret = TAKE_PTR(x);
        return 0;
}

/* An empty document of our own, libxml2 set up first. */
static int domxml_alloc(DomXml **ret) {
        _cleanup_(domxml_freep) DomXml *x = NULL;

        (void) pthread_once(&init_once, init_libxml2);
        x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        x->doc = xmlNewDoc(BAD_CAST "1.0");
        if (!x->doc)
                return -ENOMEM;
        x->doc->_private = x;
        *ret = TAKE_PTR(x);
        return 0;
}

int domxml_new(const char *root_name, DomXml **ret) {
        _cleanup_(domxml_freep) DomXml *x = NULL;
        xmlNode *root;

        if (domxml_alloc(&x) < 0)
                return -ENOMEM;
        root = xmlNewDocNode(x->doc, NULL, BAD_CAST root_name, NULL);
        if (!root)
                return -ENOMEM;
        xmlDocSetRootElement(x->doc, root);
        *ret = TAKE_PTR(x);
        return 0;
}

DomXml *domxml_free(DomXml *x) {
        if (!x)
                return NULL;
        if (x->doc) {
                Quiet q = quiet_begin();
                xmlFreeDoc(x->doc);
                quiet_end(&q);
        }
        for (size_t i = 0; i < x->n_strings; i++)
                free(x->strings[i]);
        free(x->strings);
        free(x);
        return NULL;
}

/* ---- reading ---- */

DomNode *domxml_root(const DomXml *x) {
        return x ? xmlDocGetRootElement(x->doc) : NULL;
}

const char *domxml_name(const DomNode *n) {
        return n ? (const char *) n->name : NULL;
}

static bool element_named(const xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && !n->ns && (!name || xmlStrEqual(n->name, BAD_CAST name));
}

bool domxml_is(const DomNode *n, const char *name) {
        return n && name && element_named(n, name);
}

DomNode *domxml_child(const DomNode *n, const char *name) {
        if (!n || n->type != XML_ELEMENT_NODE)
                return NULL;
        for (xmlNode *c = n->children; c; c = c->next)
                if (element_named(c, name))
                        return c;
        return NULL;
}

DomNode *domxml_next(const DomNode *n, const char *name) {
        if (!n)
                return NULL;
        for (xmlNode *c = n->next; c; c = c->next)
                if (element_named(c, name))
                        return c;
        return NULL;
}

DomNode *domxml_find(const DomNode *n, const char *path) {
        const xmlNode *cur = n;
        const char *p = path;

        while (cur && *p) {
                const char *slash = strchr(p, '/');
                size_t l = slash ? (size_t) (slash - p) : strlen(p);
                const xmlNode *found = NULL;
                for (xmlNode *c = cur->children; c && cur->type == XML_ELEMENT_NODE; c = c->next)
                        if (c->type == XML_ELEMENT_NODE && !c->ns && xmlStrlen(c->name) == (int) l &&
                            memcmp(c->name, p, l) == 0) {
                                found = c;
                                break;
                        }
                cur = found;
                p += l;
                if (*p == '/')
                        p++;
        }
        return (DomNode *) cur;
}

size_t domxml_count_children(const DomNode *n, const char *name) {
        size_t k = 0;
        for (DomNode *c = domxml_child(n, name); c; c = domxml_next(c, name))
                k++;
        return k;
}

DomNode *domxml_child_ns(const DomNode *n, const char *uri, const char *name) {
        if (!n || n->type != XML_ELEMENT_NODE || !uri || !name)
                return NULL;
        for (xmlNode *c = n->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href && xmlStrEqual(c->ns->href, BAD_CAST uri) &&
                    xmlStrEqual(c->name, BAD_CAST name))
                        return c;
        return NULL;
}

static bool is_chardata(const xmlNode *c) {
        return c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE || c->type == XML_ENTITY_REF_NODE;
}

/* Character data of a list of nodes (an attribute's or an element's children), with entity
 * references written as "&name;", never expanded. One text node is returned as it is. */
static const char *chardata(const xmlNode *first, xmlDoc *doc) {
        const xmlNode *only = NULL;
        size_t n = 0;

        for (const xmlNode *c = first; c; c = c->next)
                if (is_chardata(c)) {
                        only = c;
                        n++;
                }
        if (n == 0)
                return "";
        if (n == 1 && only->type != XML_ENTITY_REF_NODE)
                return only->content ? (const char *) only->content : "";

        DomXml *x = doc ? doc->_private : NULL;
        if (!x || x->n_strings >= STRINGS_MAX)
                return NULL;
        StrBuf b = {};
        for (const xmlNode *c = first; c; c = c->next)
                if (c->type == XML_ENTITY_REF_NODE)
                        strbuf_appendf(&b, "&%s;", (const char *) c->name);
                else if (is_chardata(c) && c->content)
                        strbuf_appendf(&b, "%s", (const char *) c->content);
        char *s = strbuf_steal(&b);
        if (!s)
                return NULL;
        char **v = realloc(x->strings, (x->n_strings + 1) * sizeof(char *));
        if (!v) {
                free(s);
                return NULL;
        }
        x->strings = v;
        x->strings[x->n_strings++] = s;
        return s;
}

static xmlAttr *find_attr(const DomNode *n, const char *name) {
        if (!n || n->type != XML_ELEMENT_NODE || !name)
                return NULL;
        for (xmlAttr *a = n->properties; a; a = a->next)
                if (!a->ns && xmlStrEqual(a->name, BAD_CAST name))
                        return a;
        return NULL;
}

const char *domxml_attr(const DomNode *n, const char *name) {
        xmlAttr *a = find_attr(n, name);
        return a ? chardata(a->children, n->doc) : NULL;
}

const char *domxml_child_attr(const DomNode *n, const char *child, const char *attr) {
        return domxml_attr(domxml_child(n, child), attr);
}

const char *domxml_text(const DomNode *n) {
        if (!n || n->type != XML_ELEMENT_NODE)
                return "";
        const char *s = chardata(n->children, n->doc);
        return s ? s : "";
}

/* ---- editing ---- */

int domxml_set_attr(DomNode *n, const char *name, const char *value) {
        if (!n || !name || !value)
                return -EINVAL;
        /* xmlSetProp takes the value literally; it looks a namespace up for "p:name". */
        if (strchr(name, ':'))
                return -EINVAL;
        Quiet q = quiet_begin();
        xmlAttr *a = xmlSetProp(n, BAD_CAST name, BAD_CAST value);
        quiet_end(&q);
        return a ? 0 : -ENOMEM;
}

bool domxml_unset_attr(DomNode *n, const char *name) {
        xmlAttr *a = find_attr(n, name);
        if (!a)
                return false;
        xmlRemoveProp(a);
        return true;
}

DomNode *domxml_new_child(DomNode *parent, const char *name) {
        if (!parent || !name)
                return NULL;
        xmlNode *c = xmlNewDocNode(parent->doc, NULL, BAD_CAST name, NULL);
        if (!c)
                return NULL;
        if (!xmlAddChild(parent, c)) {
                xmlFreeNode(c);
                return NULL;
        }
        return c;
}

DomNode *domxml_append_copy(DomNode *parent, const DomNode *n) {
        if (!parent || !n)
                return NULL;
        Quiet q = quiet_begin();
        xmlNode *c = xmlDocCopyNode((xmlNode *) n, parent->doc, 1);
        if (c && !xmlAddChild(parent, c)) {
                xmlFreeNode(c);
                c = NULL;
        }
        quiet_end(&q);
        return c;
}

void domxml_remove(DomNode *n) {
        if (!n)
                return;
        xmlUnlinkNode(n);
        xmlFreeNode(n);
}

int domxml_copy(const DomNode *n, DomXml **ret) {
        _cleanup_(domxml_freep) DomXml *x = NULL;
        xmlNode *c;

        if (!n || n->type != XML_ELEMENT_NODE)
                return -EINVAL;
        if (domxml_alloc(&x) < 0)
                return -ENOMEM;
        Quiet q = quiet_begin();
        c = xmlDocCopyNode((xmlNode *) n, x->doc, 1);
        quiet_end(&q);
        if (!c)
                return -ENOMEM;
        xmlDocSetRootElement(x->doc, c);
        *ret = TAKE_PTR(x);
        return 0;
}

/* ---- writing ---- */

static int save(xmlDoc *doc, xmlNode *node, int options, char **ret) {
        xmlBuffer *b;
        xmlSaveCtxt *s;
        long r;
        int r_close;
        char *out = NULL;

        Quiet q = quiet_begin();
        b = xmlBufferCreate();
        s = b ? xmlSaveToBuffer(b, "UTF-8", options) : NULL;
        if (!s) {
                if (b)
                        xmlBufferFree(b);
                quiet_end(&q);
                return -ENOMEM;
        }
        r = node ? xmlSaveTree(s, node) : xmlSaveDoc(s, doc);
        r_close = xmlSaveClose(s);
        if (r >= 0 && r_close >= 0)
                out = strndup((const char *) xmlBufferContent(b), (size_t) xmlBufferLength(b));
        xmlBufferFree(b);
        quiet_end(&q);
        if (r < 0 || r_close < 0)
                return -EIO;
        if (!out)
                return -ENOMEM;
        *ret = out;
        return 0;
}

int domxml_to_string(const DomXml *x, char **ret) {
        if (!x || !ret)
                return -EINVAL;
        return save(x->doc, NULL, x->has_decl ? 0 : XML_SAVE_NO_DECL, ret);
}

int domxml_node_to_string(const DomNode *n, char **ret) {
        _cleanup_(domxml_freep) DomXml *copy = NULL;
        int r;

        if (!n || !ret)
                return -EINVAL;
        /* A copy declares the namespaces the element uses from its ancestors. */
        r = domxml_copy(n, &copy);
        if (r < 0)
                return r;
        return save(copy->doc, domxml_root(copy), XML_SAVE_NO_DECL, ret);
}
