"""botocore sessions whose data loader finds a service's model without listing the whole SDK,
and reads its JSON into plain dicts.

botocore's Loader checks that a service exists by listing every service folder it ships (about
450, each listed again for its API versions) once per kind of model: a client's service model
and its endpoint rules made two such walks, some 20 ms of every signed-in `ecan sync` before its
first upload (more on a cold disk cache). The service's own folder answers the same question.
And it parses every file into OrderedDicts, twice as slow as plain dicts (which keep their order
too, and which nothing in botocore tells apart): the S3 model, its endpoint rules and the 1.2 MB
endpoint list cost another 12-15 ms that way. Imported only where botocore is needed anyway."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import IO, Any

import botocore.session
from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader, create_loader, instance_cache


class PlainJSONFileLoader(JSONFileLoader):
    """botocore's JSON file loader (the same files, .json or .json.gz), into plain dicts."""

    def _load_file(self, full_path: str, open_method: Callable[..., IO[bytes]]) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            return json.loads(fp.read().decode("utf-8"))


class ServiceLoader(Loader):
    """botocore's Loader, with load_service_model looking only in the service's folder."""

    @instance_cache
    def load_service_model(self, service_name: str, type_name: str,
                           api_version: str | None = None) -> Any:
        try:
            # (Raises when no search path has this service with this kind of model: exactly
            # when the stock check would not find it among all the services.)
            versions = self.list_api_versions(service_name, type_name)
        except DataNotFoundError:
            # botocore's own answer for an unknown service (UnknownServiceError, naming the
            # known ones): the slow walk, but only on the way to an error.
            return super().load_service_model(service_name, type_name, api_version)
        version = api_version if api_version is not None else max(versions)
        model = self.load_data(os.path.join(service_name, version, type_name))
        self._extras_processor.process(model,
                                       self._find_extras(service_name, type_name, version))
        return model


def botocore_session(loader: Loader | None = None) -> botocore.session.Session:
    """A new botocore session reading its data through `loader` (sessions sharing one parse each
    model once), or else through a new ServiceLoader on the search paths botocore itself would
    use (AWS_DATA_PATH included)."""
    core = botocore.session.Session()
    if loader is None:
        stock = create_loader(core.get_config_variable("data_path"))
        loader = ServiceLoader(extra_search_paths=list(stock.search_paths),
                               file_loader=PlainJSONFileLoader(),
                               include_default_search_paths=False)
    core.register_component("data_loader", loader)
    return core
