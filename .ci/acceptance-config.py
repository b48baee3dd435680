#!/usr/bin/env python3
"""Render the acceptance harness's resolved routes JSON (routes.py --json) as a gantry config.

JSON is valid HOCON, so the config is emitted as JSON. Usage: acceptance-config.py SCENARIO_JSON WORKDIR
"""
import json
import sys


def main(path, workdir):
    sc = json.load(open(path))
    listeners, certificates, upstreams, routes = [], [], {}, []
    seen_certs = set()

    def add_cert(cert, key):
        if cert and cert not in seen_certs:
            seen_certs.add(cert)
            certificates.append({"cert": cert, "key": key})

    for port in sc["ports"]:
        listeners.append({"name": "p%d" % port, "port": port, "host": "127.0.0.1"})
    for server in sc["servers"]:
        add_cert(server["cert"], server["key"])
    # Names without a leaf of their own (and unknown SNI) get the wildcard certificate.
    add_cert(sc.get("wildcard_cert"), sc.get("wildcard_key"))

    def upstream_for(route):
        url = route["upstream"].rstrip("/") + route["prefix"]
        for name, existing in upstreams.items():
            if existing == url:
                return name
        name = "%s-%d" % (route["backend"], len(upstreams) + 1)
        upstreams[name] = url
        return name

    for server in sc["servers"]:
        for i, r in enumerate(server["routes"]):
            route = {"name": "%s-%d-%d" % (server["host"].split(".")[0], server["port"], i + 1),
                     "listener": "p%d" % server["port"], "host": server["host"], "to": upstream_for(r)}
            for cond in r["conditions"]:
                if cond["type"] == "method":
                    route["method"] = cond["values"]
                elif cond["type"] == "path":
                    route["path"] = cond["values"]
                elif cond["type"] == "ua":
                    route["user-agent"] = cond["contains"]
                else:
                    raise SystemExit("unknown condition %r" % cond)
            routes.append(route)

    config = {"gantry": {
        "listeners": listeners,
        "tls": {"certificates": certificates},
        "upstreams": upstreams,
        "routes": routes,
        "admin": {"host": "127.0.0.1", "port": 0},
        "access-log": {"path": workdir + "/access.log"},
        "shutdown-grace": "2s",
    }}
    json.dump(config, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
