import os
from typing import Iterable, List, Optional, Tuple, Union

_Path = Union[str, "os.PathLike[str]"]
_Item = Union[bytes, str]
# A sorted list of items (str when every item given was a str), an int for
# mode="cardinality", None for the connector in mode="listener-only".
_Result = Union[List[_Item], int, None]

def intersect(
    items: Iterable[_Item],
    *,
    listen: Optional[str] = None,
    connect: Optional[str] = None,
    mode: str = "intersection",
    timeout: float = 30.0,
    tls_cert: Optional[_Path] = None,
    tls_key: Optional[_Path] = None,
    peer_cert: Optional[_Path] = None,
    insecure: bool = False,
) -> _Result: ...
def intersect_local(
    listener_items: Iterable[_Item], connector_items: Iterable[_Item], *, mode: str = "intersection"
) -> Tuple[_Result, _Result]: ...
