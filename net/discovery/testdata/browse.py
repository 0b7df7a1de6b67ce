"""Browse _parley._tcp with python-zeroconf and print what it finds.

Prints "FOUND {json}" for each chat resolved and "REMOVED name" when one
goes; ends when stdin closes. Used by TestThirdPartyBrowser.
"""
import json
import sys
import threading

from zeroconf import ServiceBrowser, ServiceStateChange, Zeroconf

TYPE = "_parley._tcp.local."


def changed(zeroconf, service_type, name, state_change):
    if state_change is ServiceStateChange.Removed:
        print("REMOVED", name, flush=True)
        return
    if state_change is not ServiceStateChange.Added:
        return
    info = zeroconf.get_service_info(service_type, name, timeout=3000)
    if info is None:
        print("UNRESOLVED", name, flush=True)
        return
    props = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
    print("FOUND", json.dumps({
        "Name": name,
        "Port": info.port,
        "Addrs": info.parsed_addresses(),
        "Room": props.get("room", ""),
        "V": props.get("v", ""),
        "People": props.get("people", ""),
    }), flush=True)


zc = Zeroconf()
browser = ServiceBrowser(zc, TYPE, handlers=[changed])
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
done.wait(60)
zc.close()
