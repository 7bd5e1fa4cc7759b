"""JSON Schemas (draft 7) of the GeoReport v2 answers our tests check, written from the Open311
GeoReport v2 specification's field tables: required fields, their types, and the closed value sets
(service type, attribute datatype, request status). Optional fields may be null, as the spec allows
servers to leave them empty."""

OPTIONAL_TEXT = {"type": ["string", "null"]}
OPTIONAL_NUMBER = {"type": ["number", "null"]}
DATETIME = {"type": "string", "format": "date-time"}

SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "metadata", "type"],
    "properties": {
        "service_code": {"type": "string", "minLength": 1},
        "service_name": {"type": "string", "minLength": 1},
        "description": OPTIONAL_TEXT,
        "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]},
        "keywords": OPTIONAL_TEXT,
        "group": OPTIONAL_TEXT,
    },
    "additionalProperties": False,
}

ATTRIBUTE_VALUE = {
    "type": "object",
    "required": ["key", "name"],
    "properties": {"key": {"type": ["string", "number"]}, "name": {"type": "string"}},
}

SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": {"type": "string", "minLength": 1},
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["variable", "code", "datatype", "required", "order", "description"],
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": {"type": "string", "minLength": 1},
                    "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
                    "required": {"type": "boolean"},
                    "datatype_description": OPTIONAL_TEXT,
                    "order": {"type": "integer", "minimum": 0},
                    "description": {"type": "string"},
                    "values": {"type": "array", "items": ATTRIBUTE_VALUE},
                },
            },
        },
    },
}

REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    "properties": {
        "service_request_id": {"type": "string", "minLength": 1},
        "status": {"enum": ["open", "closed"]},
        "status_notes": OPTIONAL_TEXT,
        "service_name": OPTIONAL_TEXT,
        "service_code": {"type": "string", "minLength": 1},
        "description": OPTIONAL_TEXT,
        "agency_responsible": OPTIONAL_TEXT,
        "service_notice": OPTIONAL_TEXT,
        "requested_datetime": DATETIME,
        "updated_datetime": {"type": ["string", "null"], "format": "date-time"},
        "expected_datetime": {"type": ["string", "null"], "format": "date-time"},
        "address": OPTIONAL_TEXT,
        "address_id": OPTIONAL_TEXT,
        "zipcode": OPTIONAL_TEXT,
        "lat": OPTIONAL_NUMBER,
        "long": OPTIONAL_NUMBER,
        "media_url": OPTIONAL_TEXT,
    },
}

# The answer to POST requests: a token, or the request id at once, never neither.
REQUEST_RESPONSE = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
        "properties": {
            "service_request_id": {"type": "string", "minLength": 1},
            "token": {"type": "string", "minLength": 1},
            "service_notice": {"type": "string"},
            "account_id": {"type": "string"},
        },
    },
}

TOKEN_RESPONSE = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["token"],
        "properties": {"token": {"type": "string", "minLength": 1}, "service_request_id": {"type": "string", "minLength": 1}},
    },
}

SCHEMAS = {
    "services": {"type": "array", "items": SERVICE},
    "service-definition": SERVICE_DEFINITION,
    "requests": {"type": "array", "items": REQUEST},
    "request-response": REQUEST_RESPONSE,
    "token-response": TOKEN_RESPONSE,
}
