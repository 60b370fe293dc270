/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/strutil.h"
#include "virt/xml.h"

/* ---- tree ---- */

static XmlNode *node_new(XmlNodeType type) {
        XmlNode *n = calloc(1, sizeof(*n));
        if (n)
                n->type = type;
        return n;
}

XmlNode *xml_element_new(const char *name) {
        XmlNode *n = node_new(XML_NODE_ELEMENT);
        if (!n)
                return NULL;
        n->name = strdup(name);
        if (!n->name)
                return mfree(n);
        return n;
}

static XmlNode *text_new(const char *s, size_t len) {
        XmlNode *n = node_new(XML_NODE_TEXT);
        if (!n)
                return NULL;
        n->text = strndup(s, len);
        if (!n->text)
                return mfree(n);
        return n;
}

void xml_unlink(XmlNode *n) {
        if (!n || !n->parent)
                return;
        if (n->prev)
                n->prev->next = n->next;
        else
                n->parent->first = n->next;
        if (n->next)
                n->next->prev = n->prev;
        else
                n->parent->last = n->prev;
        n->parent = n->prev = n->next = NULL;
}

void xml_append(XmlNode *parent, XmlNode *child) {
        child->parent = parent;
        child->prev = parent->last;
        child->next = NULL;
        if (parent->last)
                parent->last->next = child;
        else
                parent->first = child;
        parent->last = child;
}

XmlNode *xml_new_child(XmlNode *parent, const char *name) {
        XmlNode *c = xml_element_new(name);
        if (c)
                xml_append(parent, c);
        return c;
}

static void node_free_children(XmlNode *n) {
        XmlNode *c = n->first;
        while (c) {
                XmlNode *next = c->next;
                c->parent = NULL;
                xml_node_free(c);
                c = next;
        }
        n->first = n->last = NULL;
}

XmlNode *xml_node_free(XmlNode *n) {
        if (!n)
                return NULL;
        xml_unlink(n);
        /* Iterative over siblings, recursive over depth (bounded by the parser's limit). */
        node_free_children(n);
        for (size_t i = 0; i < n->n_attrs; i++) {
                free(n->attrs[i].name);
                free(n->attrs[i].value);
        }
        free(n->attrs);
        free(n->name);
        free(n->text);
        free(n);
        return NULL;
}

XmlNode *xml_child(const XmlNode *n, const char *name) {
        if (!n)
                return NULL;
        for (XmlNode *c = n->first; c; c = c->next)
                if (c->type == XML_NODE_ELEMENT && (!name || streq(c->name, name)))
                        return c;
        return NULL;
}

XmlNode *xml_next(const XmlNode *n, const char *name) {
        if (!n)
                return NULL;
        for (XmlNode *c = n->next; c; c = c->next)
                if (c->type == XML_NODE_ELEMENT && (!name || streq(c->name, name)))
                        return c;
        return NULL;
}

XmlNode *xml_find(const XmlNode *n, const char *path) {
        const XmlNode *cur = n;
        const char *p = path;
        while (cur && *p) {
                const char *slash = strchr(p, '/');
                size_t l = slash ? (size_t) (slash - p) : strlen(p);
                const XmlNode *found = NULL;
                for (XmlNode *c = cur->first; c; c = c->next)
                        if (c->type == XML_NODE_ELEMENT && strlen(c->name) == l && memcmp(c->name, p, l) == 0) {
                                found = c;
                                break;
                        }
                cur = found;
                p += l;
                if (*p == '/')
                        p++;
        }
        return (XmlNode *) cur;
}

size_t xml_count_children(const XmlNode *n, const char *name) {
        size_t k = 0;
        for (XmlNode *c = xml_child(n, name); c; c = xml_next(c, name))
                k++;
        return k;
}

const char *xml_attr(const XmlNode *n, const char *name) {
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n_attrs; i++)
                if (streq(n->attrs[i].name, name))
                        return n->attrs[i].value;
        return NULL;
}

const char *xml_text(const XmlNode *n) {
        if (!n)
                return "";
        for (XmlNode *c = n->first; c; c = c->next)
                if (c->type == XML_NODE_TEXT)
                        return c->text;
        return "";
}

const char *xml_child_attr(const XmlNode *n, const char *child, const char *attr) {
        return xml_attr(xml_child(n, child), attr);
}

static int attr_add_take(XmlNode *n, char *name, char *value) {
        XmlAttr *a = realloc(n->attrs, (n->n_attrs + 1) * sizeof(XmlAttr));
        if (!a)
                return -ENOMEM;
        n->attrs = a;
        n->attrs[n->n_attrs++] = (XmlAttr) { .name = name, .value = value };
        return 0;
}

int xml_set_attr(XmlNode *n, const char *name, const char *value) {
        _cleanup_free_ char *v = strdup(value);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n->n_attrs; i++)
                if (streq(n->attrs[i].name, name))
                        return free_and_replace(n->attrs[i].value, v);
        _cleanup_free_ char *k = strdup(name);
        if (!k)
                return -ENOMEM;
        int r = attr_add_take(n, k, v);
        if (r < 0)
                return r;
        k = v = NULL;
        return 0;
}

bool xml_unset_attr(XmlNode *n, const char *name) {
        for (size_t i = 0; i < n->n_attrs; i++)
                if (streq(n->attrs[i].name, name)) {
                        free(n->attrs[i].name);
                        free(n->attrs[i].value);
                        memmove(n->attrs + i, n->attrs + i + 1, (n->n_attrs - i - 1) * sizeof(XmlAttr));
                        n->n_attrs--;
                        return true;
                }
        return false;
}

int xml_set_text(XmlNode *n, const char *text) {
        XmlNode *t = text_new(text, strlen(text));
        if (!t)
                return -ENOMEM;
        node_free_children(n);
        xml_append(n, t);
        return 0;
}

XmlNode *xml_copy(const XmlNode *n) {
        _cleanup_(xml_node_freep) XmlNode *c = NULL;
        if (n->type == XML_NODE_TEXT)
                return text_new(n->text, strlen(n->text));
        c = xml_element_new(n->name);
        if (!c)
                return NULL;
        for (size_t i = 0; i < n->n_attrs; i++)
                if (xml_set_attr(c, n->attrs[i].name, n->attrs[i].value) < 0)
                        return NULL;
        for (XmlNode *k = n->first; k; k = k->next) {
                XmlNode *kc = xml_copy(k);
                if (!kc)
                        return NULL;
                xml_append(c, kc);
        }
        return TAKE_PTR(c);
}

/* ---- parser ---- */

typedef struct Parser {
        const char *s;
        size_t len, pos;
        int error;
} Parser;

static int fail(Parser *p, int error) {
        if (p->error == 0)
                p->error = error;
        return p->error;
}

static bool at_end(const Parser *p) {
        return p->pos >= p->len;
}

static bool starts(const Parser *p, const char *lit) {
        size_t l = strlen(lit);
        return p->len - p->pos >= l && memcmp(p->s + p->pos, lit, l) == 0;
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_space(Parser *p) {
        while (!at_end(p) && is_space(p->s[p->pos]))
                p->pos++;
}

static bool is_name_start(unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static bool is_name_char(unsigned char c) {
        return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int parse_name(Parser *p, char **ret) {
        size_t start = p->pos;
        if (at_end(p) || !is_name_start((unsigned char) p->s[p->pos]))
                return fail(p, -EBADMSG);
        while (!at_end(p) && is_name_char((unsigned char) p->s[p->pos]))
                p->pos++;
        *ret = strndup(p->s + start, p->pos - start);
        return *ret ? 0 : fail(p, -ENOMEM);
}

/* Skips up to and including `end`; malformed if it never comes. */
static int skip_past(Parser *p, const char *end) {
        const char *hit = memmem(p->s + p->pos, p->len - p->pos, end, strlen(end));
        if (!hit)
                return fail(p, -EBADMSG);
        p->pos = (size_t) (hit - p->s) + strlen(end);
        return 0;
}

static int skip_comment(Parser *p) {
        p->pos += 4; /* "<!--" */
        const char *hit = memmem(p->s + p->pos, p->len - p->pos, "--", 2);
        /* "--" may only appear as the end "-->" */
        if (!hit || (size_t) (hit - p->s) + 2 >= p->len || hit[2] != '>')
                return fail(p, -EBADMSG);
        p->pos = (size_t) (hit - p->s) + 3;
        return 0;
}

static size_t utf8_encode(uint32_t cp, char out[static 4]) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xC0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xE0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char) (0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char) (0xF0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char) (0x80 | (cp & 0x3F));
        return 4;
}

/* Decodes s[0..len) (entities and character references) into a new string. */
static int decode(Parser *p, const char *s, size_t len, char **ret) {
        char *out = malloc(len + 1); /* decoding never grows: "&#x10FFFF;" is longer than 4 bytes */
        size_t o = 0;
        if (!out)
                return fail(p, -ENOMEM);
        for (size_t i = 0; i < len;) {
                if (s[i] == '\0')
                        goto bad;
                if (s[i] != '&') {
                        out[o++] = s[i++];
                        continue;
                }
                const char *semi = memchr(s + i, ';', len - i);
                if (!semi)
                        goto bad;
                size_t el = (size_t) (semi - (s + i)) + 1; /* "&...;" */
                const char *e = s + i + 1;
                size_t nl = el - 2;
                static const struct {
                        const char *name;
                        char c;
                } named[] = { { "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' } };
                bool done = false;
                for (size_t k = 0; k < ELEMENTSOF(named) && !done; k++)
                        if (strlen(named[k].name) == nl && memcmp(named[k].name, e, nl) == 0) {
                                out[o++] = named[k].c;
                                done = true;
                        }
                if (!done) {
                        if (nl < 2 || e[0] != '#')
                                goto bad;
                        bool hex = e[1] == 'x';
                        size_t d0 = hex ? 2 : 1;
                        if (d0 >= nl || nl - d0 > 8)
                                goto bad;
                        uint32_t cp = 0;
                        for (size_t k = d0; k < nl; k++) {
                                char c = e[k];
                                unsigned v;
                                if (c >= '0' && c <= '9')
                                        v = (unsigned) (c - '0');
                                else if (hex && c >= 'a' && c <= 'f')
                                        v = (unsigned) (c - 'a' + 10);
                                else if (hex && c >= 'A' && c <= 'F')
                                        v = (unsigned) (c - 'A' + 10);
                                else
                                        goto bad;
                                cp = cp * (hex ? 16 : 10) + v;
                                if (cp > 0x10FFFF)
                                        goto bad;
                        }
                        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF ||
                            (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
                                goto bad;
                        o += utf8_encode(cp, out + o);
                }
                i += el;
        }
        out[o] = '\0';
        *ret = out;
        return 0;
bad:
        free(out);
        return fail(p, -EBADMSG);
}

/* Appends text to the element, merging with a preceding text node (text split by a
 * skipped comment or a CDATA section becomes one node). */
static int add_text(Parser *p, XmlNode *parent, char *decoded) {
        if (parent->last && parent->last->type == XML_NODE_TEXT) {
                char *t = NULL;
                if (asprintf(&t, "%s%s", parent->last->text, decoded) < 0) {
                        free(decoded);
                        return fail(p, -ENOMEM);
                }
                free(decoded);
                free_and_replace(parent->last->text, t);
                return 0;
        }
        XmlNode *n = node_new(XML_NODE_TEXT);
        if (!n) {
                free(decoded);
                return fail(p, -ENOMEM);
        }
        n->text = decoded;
        xml_append(parent, n);
        return 0;
}

static int parse_attrs(Parser *p, XmlNode *n) {
        for (;;) {
                size_t before = p->pos;
                skip_space(p);
                if (at_end(p))
                        return fail(p, -EBADMSG);
                if (p->s[p->pos] == '>' || p->s[p->pos] == '/')
                        return 0;
                if (p->pos == before) /* attributes are separated by white space */
                        return fail(p, -EBADMSG);
                _cleanup_free_ char *name = NULL, *value = NULL;
                if (parse_name(p, &name) < 0)
                        return p->error;
                skip_space(p);
                if (at_end(p) || p->s[p->pos] != '=')
                        return fail(p, -EBADMSG);
                p->pos++;
                skip_space(p);
                if (at_end(p) || (p->s[p->pos] != '\'' && p->s[p->pos] != '"'))
                        return fail(p, -EBADMSG);
                char q = p->s[p->pos++];
                const char *end = memchr(p->s + p->pos, q, p->len - p->pos);
                if (!end)
                        return fail(p, -EBADMSG);
                size_t vl = (size_t) (end - (p->s + p->pos));
                if (memchr(p->s + p->pos, '<', vl))
                        return fail(p, -EBADMSG);
                if (decode(p, p->s + p->pos, vl, &value) < 0)
                        return p->error;
                p->pos += vl + 1;
                if (xml_attr(n, name))
                        return fail(p, -EBADMSG); /* duplicate attribute */
                if (attr_add_take(n, name, value) < 0)
                        return fail(p, -ENOMEM);
                name = value = NULL;
        }
}

/* At '<' of a start tag. Parses the element with its content and appends it to parent
 * (or returns it in *ret_root when parent is NULL). */
static int parse_element(Parser *p, XmlNode *parent, unsigned depth, XmlNode **ret_root) {
        _cleanup_(xml_node_freep) XmlNode *n = NULL;
        _cleanup_free_ char *name = NULL;

        if (depth >= XML_MAX_DEPTH)
                return fail(p, -ELOOP);
        p->pos++; /* '<' */
        if (parse_name(p, &name) < 0)
                return p->error;
        n = node_new(XML_NODE_ELEMENT);
        if (!n)
                return fail(p, -ENOMEM);
        n->name = TAKE_PTR(name);
        if (parse_attrs(p, n) < 0)
                return p->error;
        if (starts(p, "/>")) {
                p->pos += 2;
                goto done;
        }
        p->pos++; /* '>' */

        for (;;) {
                if (at_end(p))
                        return fail(p, -EBADMSG);
                if (p->s[p->pos] != '<') {
                        const char *lt = memchr(p->s + p->pos, '<', p->len - p->pos);
                        size_t tl = lt ? (size_t) (lt - (p->s + p->pos)) : p->len - p->pos;
                        char *t = NULL;
                        if (decode(p, p->s + p->pos, tl, &t) < 0)
                                return p->error;
                        p->pos += tl;
                        if (add_text(p, n, t) < 0)
                                return p->error;
                        continue;
                }
                if (starts(p, "</")) {
                        p->pos += 2;
                        _cleanup_free_ char *endname = NULL;
                        if (parse_name(p, &endname) < 0)
                                return p->error;
                        if (!streq(endname, n->name))
                                return fail(p, -EBADMSG);
                        skip_space(p);
                        if (at_end(p) || p->s[p->pos] != '>')
                                return fail(p, -EBADMSG);
                        p->pos++;
                        goto done;
                }
                if (starts(p, "<!--")) {
                        if (skip_comment(p) < 0)
                                return p->error;
                } else if (starts(p, "<![CDATA[")) {
                        p->pos += 9;
                        const char *end = memmem(p->s + p->pos, p->len - p->pos, "]]>", 3);
                        if (!end)
                                return fail(p, -EBADMSG);
                        size_t cl = (size_t) (end - (p->s + p->pos));
                        if (memchr(p->s + p->pos, '\0', cl))
                                return fail(p, -EBADMSG);
                        char *t = strndup(p->s + p->pos, cl);
                        if (!t)
                                return fail(p, -ENOMEM);
                        p->pos += cl + 3;
                        if (add_text(p, n, t) < 0)
                                return p->error;
                } else if (starts(p, "<?")) {
                        if (skip_past(p, "?>") < 0)
                                return p->error;
                } else if (starts(p, "<!")) {
                        return fail(p, -EBADMSG); /* DOCTYPE, ENTITY, ...: not from libvirt */
                } else if (parse_element(p, n, depth + 1, NULL) < 0)
                        return p->error;
        }
done:
        if (parent)
                xml_append(parent, TAKE_PTR(n));
        else
                *ret_root = TAKE_PTR(n);
        return 0;
}

/* White space, comments and processing instructions (including the declaration). */
static int skip_misc(Parser *p) {
        for (;;) {
                skip_space(p);
                if (starts(p, "<!--")) {
                        if (skip_comment(p) < 0)
                                return p->error;
                } else if (starts(p, "<?")) {
                        if (skip_past(p, "?>") < 0)
                                return p->error;
                } else
                        return 0;
        }
}

int xml_parse(const char *s, size_t len, XmlNode **ret_root, size_t *ret_error_offset) {
        Parser p = { .s = s, .len = len };
        XmlNode *root = NULL;

        if (!s || !ret_root)
                return -EINVAL;
        if (len > XML_MAX_SIZE)
                return -EFBIG;
        if (starts(&p, "\xEF\xBB\xBF")) /* UTF-8 byte order mark */
                p.pos += 3;
        if (skip_misc(&p) < 0)
                goto fail;
        if (at_end(&p) || p.s[p.pos] != '<') {
                fail(&p, -EBADMSG);
                goto fail;
        }
        if (parse_element(&p, NULL, 0, &root) < 0)
                goto fail;
        if (skip_misc(&p) < 0 || !at_end(&p)) {
                fail(&p, -EBADMSG);
                root = xml_node_free(root);
                goto fail;
        }
        *ret_root = root;
        return 0;
fail:
        if (ret_error_offset)
                *ret_error_offset = p.pos;
        return p.error;
}

/* ---- writer ---- */

static void escape_into(StrBuf *b, const char *s, bool attr) {
        const char *run = s;
        for (const char *c = s;; c++) {
                const char *rep = NULL;
                switch (*c) {
                case '&': rep = "&amp;"; break;
                case '<': rep = "&lt;"; break;
                case '>': rep = "&gt;"; break;
                case '\'': rep = attr ? "&apos;" : NULL; break;
                case '"': rep = attr ? "&quot;" : NULL; break;
                case '\t': rep = attr ? "&#9;" : NULL; break;
                case '\n': rep = attr ? "&#10;" : NULL; break;
                case '\r': rep = "&#13;"; break;
                case '\0': break;
                default: continue;
                }
                if (!rep && *c != '\0')
                        continue;
                if (c > run)
                        strbuf_appendf(b, "%.*s", (int) (c - run), run);
                if (*c == '\0')
                        return;
                strbuf_appendf(b, "%s", rep);
                run = c + 1;
        }
}

char *xml_escape(const char *s) {
        StrBuf b = {};
        escape_into(&b, s, true);
        return strbuf_steal(&b);
}

static void serialize_into(StrBuf *b, const XmlNode *n) {
        if (n->type == XML_NODE_TEXT) {
                escape_into(b, n->text, false);
                return;
        }
        strbuf_appendf(b, "<%s", n->name);
        for (size_t i = 0; i < n->n_attrs; i++) {
                strbuf_appendf(b, " %s='", n->attrs[i].name);
                escape_into(b, n->attrs[i].value, true);
                strbuf_appendf(b, "'");
        }
        if (!n->first) {
                strbuf_appendf(b, "/>");
                return;
        }
        strbuf_appendf(b, ">");
        for (const XmlNode *c = n->first; c; c = c->next)
                serialize_into(b, c);
        strbuf_appendf(b, "</%s>", n->name);
}

int xml_serialize(const XmlNode *n, char **ret) {
        StrBuf b = {};
        serialize_into(&b, n);
        char *s = strbuf_steal(&b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
