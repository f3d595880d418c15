"""The container definitions a request refers to, looked up by (space, externalId)."""

from .errors import bad_request

TOP_LEVEL_PROPERTIES = ("space", "externalId", "createdTime", "lastUpdatedTime")


class Schema:
    """Record containers of one project, in their read shape (see definitions.py)."""

    def __init__(self, containers: dict[tuple[str, str], dict]):
        self.containers = containers

    def container(self, space: str, external_id: str) -> dict:
        """The definition of a record container; a 400 naming it when there is none."""
        definition = self.containers.get((space, external_id))
        if definition is None:
            raise bad_request(
                f"Container {space}:{external_id} does not exist",
                missing=[{"space": space, "externalId": external_id}],
            )
        if definition["usedFor"] != "record":
            raise bad_request(f"Container {space}:{external_id} is not a record container (usedFor record)")
        return definition

    def property(self, space: str, external_id: str, prop: str) -> dict:
        """The definition of a container property; a 400 naming it when there is none."""
        definition = self.container(space, external_id)["properties"].get(prop)
        if definition is None:
            raise bad_request(f"Property '{prop}' does not exist in container {space}:{external_id}")
        return definition
