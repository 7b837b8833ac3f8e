/* SPDX-License-Identifier: MIT */
/*
 * html_page.h - the HTML report's page, compiled in.
 *
 * Defined in build/gen/html_page.c, which scripts/html-page makes from
 * src/view/html/ (page.html with report.css and report.js inlined): the
 * page up to where the report's JSON goes, and the rest after it.
 */
#ifndef ALLOCSNOOP_HTML_PAGE_H
#define ALLOCSNOOP_HTML_PAGE_H

#include <stddef.h>

extern const unsigned char as_html_page_head[];
extern const size_t as_html_page_head_len;
extern const unsigned char as_html_page_tail[];
extern const size_t as_html_page_tail_len;

#endif
