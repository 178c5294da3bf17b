package dev.sluice.mta.ingress.http;

/** The request's {@code template_dialect}: how substitutions are applied. */
public enum TemplateDialect {
    /** Jinja syntax through Jinjava; KumoMTA's default (it uses MiniJinja). */
    JINJA,
    /** No templating: the content is used as written, braces and all. */
    STATIC;
}
