using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Overlay.Lab.Internal;

namespace Overlay.Lab.Cloud;

/// <summary>
/// An EC2 API double on 127.0.0.1 speaking the EC2 Query protocol (form-encoded POSTs, XML responses, and
/// error bodies <c>&lt;Response&gt;&lt;Errors&gt;&lt;Error&gt;&lt;Code&gt;…</c> as EC2 documents them) for the actions
/// cloud routes need: DescribeInstances, DescribeRouteTables (with the association.subnet-id,
/// association.main, vpc-id filters), CreateRoute, ReplaceRoute, DeleteRoute and
/// ModifyNetworkInterfaceAttribute. Each request must carry a SigV4 <c>Authorization</c> header for service
/// <c>ec2</c> and <see cref="Region"/> whose signature verifies with the configured key (else
/// <c>AuthFailure</c>). Every call is recorded with its arrival time; faults are injected per action.
/// Its route tables also answer <see cref="Lookup"/>, so a lab router can forward by them.
/// </summary>
public sealed class Ec2Double : IAsyncDisposable
{
    private static readonly XNamespace Ns = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private readonly LabHttpServer _server;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Ec2Instance> _instances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Table> _tables = new(StringComparer.Ordinal);
    private readonly List<Ec2Call> _calls = [];
    private readonly Dictionary<string, Queue<string>> _faults = new(StringComparer.Ordinal);

    /// <summary>Starts the double.</summary>
    /// <param name="region">The region requests must be signed for.</param>
    /// <param name="accessKeyId">The only access key accepted.</param>
    /// <param name="secretAccessKey">Its secret (signatures are verified with it).</param>
    public Ec2Double(string region = "us-east-1", string accessKeyId = "AKIDLAB0000000000000", string secretAccessKey = "lab-secret-key")
    {
        Region = region;
        AccessKeyId = accessKeyId;
        SecretAccessKey = secretAccessKey;
        _server = new LabHttpServer(HandleAsync);
    }

    /// <summary>The endpoint (<c>http://127.0.0.1:port/</c>).</summary>
    public Uri Endpoint => _server.Endpoint;

    /// <summary>The region.</summary>
    public string Region { get; }

    /// <summary>The accepted access key id.</summary>
    public string AccessKeyId { get; }

    /// <summary>The accepted secret.</summary>
    public string SecretAccessKey { get; }

    /// <summary>The default route quota per table (AWS: 50 for years, 500 since 2025). Default 50.</summary>
    public int DefaultRouteLimit { get; set; } = 50;

    /// <summary>Every call so far, in arrival order.</summary>
    public IReadOnlyList<Ec2Call> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>The calls that change state.</summary>
    public IReadOnlyList<Ec2Call> WriteCalls => [.. Calls.Where(c => c.IsWrite)];

    /// <summary>Forgets the recorded calls.</summary>
    public void ClearCalls()
    {
        lock (_lock)
        {
            _calls.Clear();
        }
    }

    /// <summary>Adds an instance with one ENI.</summary>
    /// <param name="instance">The instance.</param>
    public void AddInstance(Ec2Instance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (_lock)
        {
            _instances[instance.InstanceId] = instance;
        }
    }

    /// <summary>An instance by id.</summary>
    /// <param name="instanceId">The id.</param>
    /// <returns>The instance.</returns>
    public Ec2Instance Instance(string instanceId)
    {
        lock (_lock)
        {
            return _instances[instanceId];
        }
    }

    /// <summary>Adds a route table (with the VPC's <c>local</c> route when <paramref name="vpcCidr"/> is given).</summary>
    /// <param name="routeTableId">The id.</param>
    /// <param name="vpcId">The VPC.</param>
    /// <param name="main">Whether it is the VPC's main table.</param>
    /// <param name="vpcCidr">The VPC's CIDR (a <c>local</c> route), or null.</param>
    /// <param name="subnetIds">Subnets associated with it.</param>
    public void AddRouteTable(string routeTableId, string vpcId, bool main = false, string? vpcCidr = null, params string[] subnetIds)
    {
        lock (_lock)
        {
            var table = new Table(routeTableId, vpcId, main, [.. subnetIds]);
            if (vpcCidr is not null)
            {
                table.Routes.Add(new Ec2Route(vpcCidr, null, "local"));
            }

            _tables[routeTableId] = table;
        }
    }

    /// <summary>Adds (or overwrites) a route directly, without a call.</summary>
    /// <param name="routeTableId">The table.</param>
    /// <param name="route">The route.</param>
    public void PutRoute(string routeTableId, Ec2Route route)
    {
        ArgumentNullException.ThrowIfNull(route);
        lock (_lock)
        {
            List<Ec2Route> routes = _tables[routeTableId].Routes;
            routes.RemoveAll(r => r.DestinationCidrBlock == route.DestinationCidrBlock);
            routes.Add(route);
        }
    }

    /// <summary>The routes of a table.</summary>
    /// <param name="routeTableId">The table.</param>
    /// <returns>A copy of its routes.</returns>
    public IReadOnlyList<Ec2Route> Routes(string routeTableId)
    {
        lock (_lock)
        {
            return [.. _tables[routeTableId].Routes];
        }
    }

    /// <summary>Sets a table's route quota.</summary>
    /// <param name="routeTableId">The table.</param>
    /// <param name="limit">The most routes it holds (the <c>local</c> route counts).</param>
    public void SetRouteLimit(string routeTableId, int limit)
    {
        lock (_lock)
        {
            _tables[routeTableId].Limit = limit;
        }
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> calls of <paramref name="action"/> (or of any action when null) fail with
    /// <paramref name="errorCode"/> (<c>RequestLimitExceeded</c>, <c>RouteLimitExceeded</c>, <c>InvalidRoute.NotFound</c>,
    /// <c>UnauthorizedOperation</c>, …) or, for <c>timeout</c>, never be answered.
    /// </summary>
    /// <param name="action">The action, or null for any.</param>
    /// <param name="errorCode">The EC2 error code, or <c>timeout</c>.</param>
    /// <param name="count">How many calls.</param>
    public void FailNext(string? action, string errorCode, int count = 1)
    {
        lock (_lock)
        {
            string key = action ?? "*";
            if (!_faults.TryGetValue(key, out Queue<string>? queue))
            {
                _faults[key] = queue = new Queue<string>();
            }

            for (int i = 0; i < count; i++)
            {
                queue.Enqueue(errorCode);
            }
        }
    }

    /// <summary>The VPC router's decision: the longest active route for <paramref name="destination"/> in the table
    /// that targets an ENI, as the ENI's instance private address; null when none does.</summary>
    /// <param name="routeTableId">The table.</param>
    /// <param name="destination">The destination address.</param>
    /// <returns>The next hop's private address, or null.</returns>
    public IPAddress? Lookup(string routeTableId, IPAddress destination)
    {
        lock (_lock)
        {
            Ec2Route? best = null;
            int bestLength = -1;
            foreach (Ec2Route route in _tables[routeTableId].Routes)
            {
                IPNetwork network = IPNetwork.Parse(route.DestinationCidrBlock);
                if (route.State == "active" && network.Contains(destination) && network.PrefixLength > bestLength)
                {
                    best = route;
                    bestLength = network.PrefixLength;
                }
            }

            Ec2Instance? instance = best?.NetworkInterfaceId is { } eni ? _instances.Values.FirstOrDefault(i => i.NetworkInterfaceId == eni) : null;
            return instance is null ? null : IPAddress.Parse(instance.PrivateIpAddress);
        }
    }

    private async Task<LabHttpResponse> HandleAsync(LabHttpRequest request, CancellationToken cancellationToken)
    {
        TimeSpan arrival = _clock.Elapsed;
        Dictionary<string, string> form = ParseForm(Encoding.UTF8.GetString(request.Body));
        foreach ((string key, string value) in ParseForm(request.Target.Contains('?', StringComparison.Ordinal) ? request.Target.Split('?', 2)[1] : string.Empty))
        {
            form.TryAdd(key, value);
        }

        string action = form.GetValueOrDefault("Action") ?? "(none)";
        ImmutableDictionary<string, string> parameters = form.Where(p => p.Key is not "Action" and not "Version").ToImmutableDictionary(StringComparer.Ordinal);
        (string? authError, string region) = CheckSignature(request);
        string? fault = authError is null ? TakeFault(action) : null;
        string outcome = authError ?? fault ?? "ok";
        LabHttpResponse response;
        if (fault == "timeout")
        {
            Record(new Ec2Call(action, parameters, arrival, "timeout", region));
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            throw new OperationCanceledException(cancellationToken);
        }

        if (authError is not null || fault is not null)
        {
            response = Error(outcome, outcome switch
            {
                "RequestLimitExceeded" => "Request limit exceeded.",
                "RouteLimitExceeded" => "The maximum number of routes has been reached.",
                "UnauthorizedOperation" => "You are not authorized to perform this operation.",
                "AuthFailure" => "AWS was not able to validate the provided access credentials.",
                "MissingAuthenticationToken" => "Request is missing Authentication Token.",
                _ => outcome,
            });
        }
        else
        {
            lock (_lock)
            {
                (response, outcome) = Execute(action, form);
            }
        }

        Record(new Ec2Call(action, parameters, arrival, outcome, region));
        return response;
    }

    private void Record(Ec2Call call)
    {
        lock (_lock)
        {
            _calls.Add(call);
        }
    }

    private string? TakeFault(string action)
    {
        lock (_lock)
        {
            foreach (string key in new[] { action, "*" })
            {
                if (_faults.TryGetValue(key, out Queue<string>? queue) && queue.TryDequeue(out string? code))
                {
                    return code;
                }
            }

            return null;
        }
    }

    private (LabHttpResponse Response, string Outcome) Execute(string action, Dictionary<string, string> form)
    {
        switch (action)
        {
            case "DescribeInstances":
            {
                var ids = Members(form, "InstanceId");
                var missing = ids.Where(id => !_instances.ContainsKey(id)).ToList();
                if (missing.Count > 0)
                {
                    return Fail("InvalidInstanceID.NotFound", $"The instance ID '{missing[0]}' does not exist");
                }

                IEnumerable<Ec2Instance> selected = ids.Count > 0 ? ids.Select(id => _instances[id]) : _instances.Values;
                var reservations = new XElement(Ns + "reservationSet", selected.Select(i => new XElement(Ns + "item",
                    new XElement(Ns + "reservationId", "r-" + i.InstanceId),
                    new XElement(Ns + "ownerId", "123456789012"),
                    new XElement(Ns + "instancesSet", new XElement(Ns + "item",
                        new XElement(Ns + "instanceId", i.InstanceId),
                        new XElement(Ns + "subnetId", i.SubnetId),
                        new XElement(Ns + "vpcId", i.VpcId),
                        new XElement(Ns + "privateIpAddress", i.PrivateIpAddress),
                        new XElement(Ns + "sourceDestCheck", Bool(i.SourceDestCheck)),
                        new XElement(Ns + "networkInterfaceSet", new XElement(Ns + "item",
                            new XElement(Ns + "networkInterfaceId", i.NetworkInterfaceId),
                            new XElement(Ns + "subnetId", i.SubnetId),
                            new XElement(Ns + "vpcId", i.VpcId),
                            new XElement(Ns + "privateIpAddress", i.PrivateIpAddress),
                            new XElement(Ns + "sourceDestCheck", Bool(i.SourceDestCheck)),
                            new XElement(Ns + "privateIpAddressesSet", new XElement(Ns + "item",
                                new XElement(Ns + "privateIpAddress", i.PrivateIpAddress),
                                new XElement(Ns + "primary", "true"))))))))));
                return Ok(action, reservations);
            }

            case "DescribeRouteTables":
            {
                var ids = Members(form, "RouteTableId");
                var missing = ids.Where(id => !_tables.ContainsKey(id)).ToList();
                if (missing.Count > 0)
                {
                    return Fail("InvalidRouteTableID.NotFound", $"The routeTable ID '{missing[0]}' does not exist");
                }

                IEnumerable<Table> tables = ids.Count > 0 ? ids.Select(id => _tables[id]) : _tables.Values;
                foreach ((string name, List<string> values) in Filters(form))
                {
                    tables = name switch
                    {
                        "association.subnet-id" => tables.Where(t => t.Subnets.Any(values.Contains)),
                        "association.main" => tables.Where(t => values.Contains(Bool(t.Main))),
                        "vpc-id" => tables.Where(t => values.Contains(t.VpcId)),
                        "route-table-id" => tables.Where(t => values.Contains(t.Id)),
                        _ => tables,
                    };
                }

                var set = new XElement(Ns + "routeTableSet", tables.Select(t => new XElement(Ns + "item",
                    new XElement(Ns + "routeTableId", t.Id),
                    new XElement(Ns + "vpcId", t.VpcId),
                    new XElement(Ns + "ownerId", "123456789012"),
                    new XElement(Ns + "routeSet", t.Routes.Select(r => new XElement(Ns + "item",
                        new XElement(Ns + "destinationCidrBlock", r.DestinationCidrBlock),
                        r.GatewayId is null ? null : new XElement(Ns + "gatewayId", r.GatewayId),
                        r.NetworkInterfaceId is null ? null : new XElement(Ns + "networkInterfaceId", r.NetworkInterfaceId),
                        r.NetworkInterfaceId is null ? null : new XElement(Ns + "instanceId", _instances.Values.FirstOrDefault(i => i.NetworkInterfaceId == r.NetworkInterfaceId)?.InstanceId),
                        new XElement(Ns + "state", r.State),
                        new XElement(Ns + "origin", r.GatewayId == "local" ? "CreateRouteTable" : "CreateRoute")))),
                    new XElement(Ns + "associationSet",
                        t.Main ? new XElement(Ns + "item", new XElement(Ns + "routeTableAssociationId", "rtbassoc-main-" + t.Id), new XElement(Ns + "routeTableId", t.Id), new XElement(Ns + "main", "true")) : null,
                        t.Subnets.Select(s => new XElement(Ns + "item", new XElement(Ns + "routeTableAssociationId", $"rtbassoc-{s}"), new XElement(Ns + "routeTableId", t.Id), new XElement(Ns + "subnetId", s), new XElement(Ns + "main", "false")))),
                    new XElement(Ns + "propagatingVgwSet"),
                    new XElement(Ns + "tagSet"))));
                return Ok(action, set);
            }

            case "CreateRoute":
            case "ReplaceRoute":
            {
                if (!TryTable(form, out Table? table, out var failure))
                {
                    return failure;
                }

                string cidr = form.GetValueOrDefault("DestinationCidrBlock") ?? string.Empty;
                string? eni = form.GetValueOrDefault("NetworkInterfaceId");
                if (eni is null || !_instances.Values.Any(i => i.NetworkInterfaceId == eni))
                {
                    return Fail("InvalidNetworkInterfaceID.NotFound", $"The networkInterface ID '{eni}' does not exist");
                }

                int index = table!.Routes.FindIndex(r => r.DestinationCidrBlock == cidr);
                if (action == "CreateRoute")
                {
                    if (index >= 0)
                    {
                        return Fail("RouteAlreadyExists", $"The route identified by {cidr} already exists.");
                    }

                    if (table.Routes.Count >= (table.Limit ?? DefaultRouteLimit))
                    {
                        return Fail("RouteLimitExceeded", "The maximum number of routes has been reached.");
                    }

                    table.Routes.Add(new Ec2Route(cidr, eni));
                }
                else
                {
                    if (index < 0)
                    {
                        return Fail("InvalidRoute.NotFound", $"There is no route defined for '{cidr}' in the route table.");
                    }

                    table.Routes[index] = new Ec2Route(cidr, eni);
                }

                return Ok(action, new XElement(Ns + "return", "true"));
            }

            case "DeleteRoute":
            {
                if (!TryTable(form, out Table? table, out var failure))
                {
                    return failure;
                }

                string cidr = form.GetValueOrDefault("DestinationCidrBlock") ?? string.Empty;
                if (table!.Routes.RemoveAll(r => r.DestinationCidrBlock == cidr && r.GatewayId != "local") == 0)
                {
                    return Fail("InvalidRoute.NotFound", $"There is no route defined for '{cidr}' in the route table.");
                }

                return Ok(action, new XElement(Ns + "return", "true"));
            }

            case "ModifyNetworkInterfaceAttribute":
            {
                string? eni = form.GetValueOrDefault("NetworkInterfaceId");
                Ec2Instance? instance = _instances.Values.FirstOrDefault(i => i.NetworkInterfaceId == eni);
                if (instance is null)
                {
                    return Fail("InvalidNetworkInterfaceID.NotFound", $"The networkInterface ID '{eni}' does not exist");
                }

                if (form.GetValueOrDefault("SourceDestCheck.Value") is { } value)
                {
                    instance.SourceDestCheck = bool.Parse(value);
                }

                return Ok(action, new XElement(Ns + "return", "true"));
            }

            default:
                return Fail("InvalidAction", $"The action {action} is not valid for this web service.");
        }
    }

    private bool TryTable(Dictionary<string, string> form, out Table? table, out (LabHttpResponse, string) failure)
    {
        string id = form.GetValueOrDefault("RouteTableId") ?? string.Empty;
        failure = default;
        if (_tables.TryGetValue(id, out table))
        {
            return true;
        }

        failure = Fail("InvalidRouteTableID.NotFound", $"The routeTable ID '{id}' does not exist");
        return false;
    }

    private static (LabHttpResponse, string) Ok(string action, XElement body)
    {
        var document = new XDocument(new XDeclaration("1.0", "UTF-8", null),
            new XElement(Ns + (action + "Response"), new XElement(Ns + "requestId", Guid.NewGuid().ToString()), body));
        return (new LabHttpResponse(200, "text/xml;charset=UTF-8", Encoding.UTF8.GetBytes(document.Declaration + document.ToString(SaveOptions.DisableFormatting))), "ok");
    }

    private static (LabHttpResponse, string) Fail(string code, string message) => (Error(code, message), code);

    private static LabHttpResponse Error(string code, string message)
    {
        var document = new XDocument(new XDeclaration("1.0", "UTF-8", null), new XElement("Response",
            new XElement("Errors", new XElement("Error", new XElement("Code", code), new XElement("Message", message))),
            new XElement("RequestID", Guid.NewGuid().ToString())));
        int status = code switch
        {
            "RequestLimitExceeded" => 503,
            "AuthFailure" => 401,
            "UnauthorizedOperation" => 403,
            _ => 400,
        };
        return new LabHttpResponse(status, "text/xml;charset=UTF-8", Encoding.UTF8.GetBytes(document.Declaration + document.ToString(SaveOptions.DisableFormatting)));
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static List<string> Members(Dictionary<string, string> form, string prefix) =>
        [.. form.Where(p => p.Key.StartsWith(prefix + ".", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value)];

    private static List<(string Name, List<string> Values)> Filters(Dictionary<string, string> form)
    {
        var filters = new List<(string, List<string>)>();
        for (int i = 1; form.TryGetValue($"Filter.{i}.Name", out string? name); i++)
        {
            filters.Add((name, Members(form, $"Filter.{i}.Value")));
        }

        return filters;
    }

    private static Dictionary<string, string> ParseForm(string text)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            form[Decode(kv[0])] = kv.Length > 1 ? Decode(kv[1]) : string.Empty;
        }

        return form;

        static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
    }

    /// <summary>Checks the SigV4 Authorization header: scope (service ec2, the region), key, and the signature itself.</summary>
    private (string? Error, string Region) CheckSignature(LabHttpRequest request)
    {
        string? authorization = request.Header("Authorization");
        const string Scheme = "AWS4-HMAC-SHA256 ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return ("MissingAuthenticationToken", "-");
        }

        Dictionary<string, string> parts = authorization[Scheme.Length..].Split(',').Select(p => p.Trim().Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out string? credential) || !parts.TryGetValue("SignedHeaders", out string? signedHeaders) || !parts.TryGetValue("Signature", out string? signature))
        {
            return ("IncompleteSignature", "-");
        }

        string[] scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return ("IncompleteSignature", "-");
        }

        string region = scope[2];
        if (scope[3] != "ec2" || region != Region)
        {
            return ("AuthFailure", region);
        }

        if (scope[0] != AccessKeyId)
        {
            return ("AuthFailure", region);
        }

        string amzDate = request.Header("X-Amz-Date") ?? string.Empty;
        string path = request.Target.Split('?', 2)[0];
        string query = request.Target.Contains('?', StringComparison.Ordinal) ? CanonicalQuery(request.Target.Split('?', 2)[1]) : string.Empty;
        string[] names = signedHeaders.Split(';');
        var canonicalHeaders = new StringBuilder();
        foreach (string name in names)
        {
            string value = request.Header(name) ?? string.Empty;
            canonicalHeaders.Append(name).Append(':').Append(string.Join(' ', value.Split(' ', StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        }

        string payloadHash = request.Header("X-Amz-Content-SHA256") ?? Convert.ToHexStringLower(SHA256.HashData(request.Body));
        string canonicalRequest = $"{request.Method}\n{path}\n{query}\n{canonicalHeaders}\n{signedHeaders}\n{payloadHash}";
        string stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{string.Join('/', scope.Skip(1))}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        byte[] key = Encoding.UTF8.GetBytes("AWS4" + SecretAccessKey);
        foreach (string part in scope.Skip(1))
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        string expected = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)) ? (null, region) : ("AuthFailure", region);
    }

    private static string CanonicalQuery(string query) =>
        string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => (K: Uri.EscapeDataString(Uri.UnescapeDataString(p[0])), V: p.Length > 1 ? Uri.EscapeDataString(Uri.UnescapeDataString(p[1])) : string.Empty))
            .OrderBy(p => p.K, StringComparer.Ordinal).ThenBy(p => p.V, StringComparer.Ordinal).Select(p => $"{p.K}={p.V}"));

    /// <summary>Stops the double.</summary>
    /// <returns>A task.</returns>
    public ValueTask DisposeAsync() => _server.DisposeAsync();

    /// <inheritdoc />
    public override string ToString() => $"EC2 double ({Region}) at {Endpoint}";

    private sealed class Table(string id, string vpcId, bool main, List<string> subnets)
    {
        public string Id { get; } = id;

        public string VpcId { get; } = vpcId;

        public bool Main { get; } = main;

        public List<string> Subnets { get; } = subnets;

        public List<Ec2Route> Routes { get; } = [];

        public int? Limit { get; set; }
    }
}
