"""Lambda function serving ``/users`` (handler ``users.handler``): the route table's
``users`` rows (``store/spec/routes.py``), each served by the function its operation id maps to.

Environment: USERS_TABLE_NAME, CORS_ALLOWED_ORIGINS, STORE_ENVIRONMENT, POWERTOOLS_SERVICE_NAME,
POWERTOOLS_LOG_LEVEL.
"""

from aws_lambda_powertools.event_handler import Response
from store.data import users_table
from store.http import caller, validation, web
from store.runtime import clock
from store.spec.errors import BadRequest, NotFound, detail

app = web.create_app()


def create_user() -> Response:
    """Create the caller's profile, keyed by its ``sub``: 201, or 409 when the caller has one
    already or the address (in any case) is taken."""
    fields = web.validated_body(app, "UserCreate")
    who = caller.signed_in(app.current_event)
    user = users_table.create(fields, who.sub, clock.now())
    return web.ok(users_table.public(user), 201)


def find_users() -> Response:
    """Find the user with an address: a list of 0 or 1 item (index Query). Admins only."""
    email = web.query(app, "email")
    if email is None or not validation.field_valid("UserCreate", "email", email):
        raise BadRequest("Invalid query parameter.", [detail("email", "must be an email address")])
    users = [users_table.public(user) for user in users_table.find_by_email(email)]
    return web.page(users, None)


def _visible(user_id: str) -> str:
    """``user_id`` if the caller may see it (its own, or any for an admin); else 404, as if the
    user did not exist, before anything is read."""
    if not caller.signed_in(app.current_event).may_act_for(user_id):
        raise NotFound("User not found.")
    return user_id


def get_user(user_id: str) -> Response:
    """One user: the caller's own profile, or any for an admin."""
    user_id = _visible(web.path_id(user_id))
    return web.ok(users_table.public(users_table.get(user_id)))


def update_user(user_id: str) -> Response:
    """Change a user's name or address: 200, 404, or 409 when the new address is taken.

    A name alone is one conditional write; a new address needs the old one read first, to move
    its claim.
    """
    user_id = web.path_id(user_id)
    changes = web.validated_body(app, "UserUpdate")
    user_id = _visible(user_id)
    if "email" not in changes:
        return web.ok(users_table.public(users_table.rename(user_id, changes["name"], clock.now())))
    user = users_table.get(user_id)
    return web.ok(users_table.public(users_table.update(user, changes, clock.now())))


def delete_user(user_id: str) -> Response:
    """Delete a user and release the address: 204."""
    users_table.delete(users_table.get(_visible(web.path_id(user_id))))
    return web.no_content()


handler = web.lambda_handler(
    app,
    "users",
    {
        "createUser": create_user,
        "findUsers": find_users,
        "getUser": get_user,
        "updateUser": update_user,
        "deleteUser": delete_user,
    },
)
"""Lambda entry point."""
