"""Sign-in: the environment's Cognito user pool, its ``admins`` group and its app client."""

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cognito_user_group import CognitoUserGroup
from cdktf_cdktf_provider_aws.cognito_user_pool import (
    CognitoUserPool,
    CognitoUserPoolAccountRecoverySetting,
    CognitoUserPoolAccountRecoverySettingRecoveryMechanism,
    CognitoUserPoolAdminCreateUserConfig,
    CognitoUserPoolEmailConfiguration,
    CognitoUserPoolPasswordPolicy,
    CognitoUserPoolSoftwareTokenMfaConfiguration,
    CognitoUserPoolUserAttributeUpdateSettings,
    CognitoUserPoolUsernameConfiguration,
    CognitoUserPoolVerificationMessageTemplate,
)
from cdktf_cdktf_provider_aws.cognito_user_pool_client import (
    CognitoUserPoolClient,
    CognitoUserPoolClientTokenValidityUnits,
)
from constructs import Construct

from handlers.store.spec.routes import ADMIN_GROUP
from stacks.base.config import UserPool


@dataclass(frozen=True)
class IdentityProps:
    """Inputs of ``Identity``."""

    prefix: str
    pool: UserPool
    deletion_protection: bool
    # The SES identity (its ARN) and the address the pool's mail comes from, when the pool
    # sends through SES (``UserPool.email_sending_account`` DEVELOPER).
    sender_identity_arn: str = ""
    sender_address: str = ""


def _email_configuration(props: IdentityProps) -> CognitoUserPoolEmailConfiguration:
    """Cognito's own sender, or SES as the environment's sender identity (Cognito sends with
    its service-linked role, AWSServiceRoleForAmazonCognitoIdpEmailService)."""
    account = props.pool.email_sending_account
    if account == "COGNITO_DEFAULT":
        return CognitoUserPoolEmailConfiguration(email_sending_account=account)
    return CognitoUserPoolEmailConfiguration(
        email_sending_account=account,
        source_arn=props.sender_identity_arn,
        from_email_address=props.sender_address,
    )


class Identity(Construct):
    """One Cognito user pool: people sign in with their (verified) email address.

    Usernames are the email address, compared without regard to case; a new address must be
    verified before it replaces the old one; a forgotten password is reset through the verified
    address only. The ``admins`` group is the API's admin role (``handlers/store/spec/routes.py``
    names it; the functions read it from the ID token). One public app client (no secret:
    browsers and apps cannot keep one) with the flows of ``UserPool.auth_flows``, revocable
    refresh tokens, and no hint whether an address has an account. The pool's mail comes from
    Cognito's sender or, as configured, from SES as the environment's sender identity.
    Attributes: ``user_pool``,
    ``admins``, ``client``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: IdentityProps):
        super().__init__(scope, construct_id)
        self.user_pool = self._user_pool(props)
        self.admins = CognitoUserGroup(
            self,
            "admins",
            name=ADMIN_GROUP,
            user_pool_id=self.user_pool.id,
            description="Administrators of the store API: products, any profile, any order.",
            precedence=0,
        )
        self.client = self._client(props)

    def _user_pool(self, props: IdentityProps) -> CognitoUserPool:
        """Sign-in by verified email address, the password rules and recovery by email."""
        pool = props.pool
        return CognitoUserPool(
            self,
            "user-pool",
            name=f"{props.prefix}-users",
            user_pool_tier=pool.tier,
            username_attributes=["email"],
            username_configuration=CognitoUserPoolUsernameConfiguration(case_sensitive=False),
            auto_verified_attributes=["email"],
            # Until the new address is verified, the old one stays: nobody locks themselves out
            # with a typo, and nobody takes over an address they cannot read.
            user_attribute_update_settings=CognitoUserPoolUserAttributeUpdateSettings(
                attributes_require_verification_before_update=["email"]
            ),
            password_policy=CognitoUserPoolPasswordPolicy(
                minimum_length=pool.password_min_length,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                # Length protects more than composition rules (NIST SP 800-63B); no symbols.
                require_symbols=False,
                temporary_password_validity_days=pool.temporary_password_days,
            ),
            account_recovery_setting=CognitoUserPoolAccountRecoverySetting(
                recovery_mechanism=[
                    CognitoUserPoolAccountRecoverySettingRecoveryMechanism(
                        name="verified_email", priority=1
                    )
                ]
            ),
            # Customers sign themselves up; operators may also create users (tests do).
            admin_create_user_config=CognitoUserPoolAdminCreateUserConfig(
                allow_admin_create_user_only=False
            ),
            email_configuration=_email_configuration(props),
            verification_message_template=CognitoUserPoolVerificationMessageTemplate(
                default_email_option="CONFIRM_WITH_CODE"
            ),
            mfa_configuration=pool.mfa,
            software_token_mfa_configuration=CognitoUserPoolSoftwareTokenMfaConfiguration(
                enabled=pool.mfa != "OFF"
            ),
            deletion_protection="ACTIVE" if props.deletion_protection else "INACTIVE",
        )

    def _client(self, props: IdentityProps) -> CognitoUserPoolClient:
        """The one public app client (no secret), its flows and token lifetimes."""
        pool = props.pool
        return CognitoUserPoolClient(
            self,
            "client",
            name=f"{props.prefix}-app",
            user_pool_id=self.user_pool.id,
            generate_secret=False,
            explicit_auth_flows=list(pool.auth_flows),
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            auth_session_validity=3,
            id_token_validity=pool.id_token_minutes,
            access_token_validity=pool.access_token_minutes,
            refresh_token_validity=pool.refresh_token_days,
            token_validity_units=[
                CognitoUserPoolClientTokenValidityUnits(
                    id_token="minutes", access_token="minutes", refresh_token="days"
                )
            ],
            read_attributes=["email", "email_verified"],
            write_attributes=["email"],
        )
