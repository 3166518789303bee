"""E-mail to citizens: messages composed in the request, sent by a background outbox.

Sending never blocks nor fails a request (:mod:`idp.mail.outbox`): the SMTP server may be
slow or down, and the citizen's sign-in goes on. Nothing is sent unless ``IDP_SMTP_HOST``
is set.
"""
