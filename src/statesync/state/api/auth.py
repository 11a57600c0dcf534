"""Who calls the state API: a district, by its token, for its own data only."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from statesync.core.http.api import ApiProblem
from statesync.state.models import ApiToken, District


class DistrictToken(HttpBearer):
    """`Authorization: Bearer <district token>`: the call acts for the token's district, which
    must be the district its URL names (403 otherwise, naming both)."""

    def authenticate(self, request: HttpRequest, token: str) -> District | None:
        api_token = ApiToken.authenticate(token.strip())
        if api_token is None:
            return None
        district = api_token.district
        match = request.resolver_match
        number = match.kwargs.get("number") if match else None
        if number is not None and district.number != number:
            raise ApiProblem(
                403,
                "forbidden",
                f"this token belongs to district {district.number}, not district {number}",
            )
        api_token.record_use()
        return district


def get_district(request: HttpRequest) -> District:
    """The district the call acts for (DistrictToken has checked it)."""
    district = request.auth  # type: ignore[attr-defined]
    assert isinstance(district, District)
    return district
