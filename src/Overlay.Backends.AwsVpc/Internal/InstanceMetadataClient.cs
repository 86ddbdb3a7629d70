using System.Globalization;
using System.Net;
using System.Net.Http;

namespace Overlay.Backends.AwsVpc.Internal;

/// <summary>A small IMDS client: IMDSv2 (token PUT, then GET with the token) against the configured
/// endpoint, IMDSv1 only when allowed. One per node, so several lab nodes in one process each have their own instance.</summary>
internal sealed class InstanceMetadataClient(HttpClient http, Uri endpoint, TimeSpan tokenLifetime, bool allowV1, TimeProvider time)
{
    private const string TokenHeader = "X-aws-ec2-metadata-token";
    private const string TtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
    private string? _token;
    private DateTimeOffset _tokenExpires;

    public async Task<string> GetAsync(string path, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            string? token = await TokenAsync(refresh: attempt > 0, cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, "latest/meta-data/" + path));
            if (token is not null)
            {
                request.Headers.Add(TokenHeader, token);
            }

            using HttpResponseMessage response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                continue; // the token expired or was never accepted: get a new one once
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new InstanceMetadataException($"instance metadata {path}: HTTP {(int)response.StatusCode}{(response.StatusCode == HttpStatusCode.Unauthorized ? " (the instance requires IMDSv2 tokens)" : string.Empty)}", response.StatusCode);
            }

            return (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
        }
    }

    private async Task<string?> TokenAsync(bool refresh, CancellationToken cancellationToken)
    {
        if (!refresh && _token is not null && time.GetUtcNow() < _tokenExpires)
        {
            return _token;
        }

        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(endpoint, "latest/api/token"));
        int seconds = (int)tokenLifetime.TotalSeconds;
        request.Headers.Add(TtlHeader, seconds.ToString(CultureInfo.InvariantCulture));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException) when (allowV1)
        {
            return null;
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                if (allowV1 && response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.MethodNotAllowed)
                {
                    return null;
                }

                throw new InstanceMetadataException($"instance metadata token (IMDSv2 PUT latest/api/token): HTTP {(int)response.StatusCode}; set AllowImdsV1 only if the instance has no IMDSv2", response.StatusCode);
            }

            _token = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
            _tokenExpires = time.GetUtcNow() + (tokenLifetime / 2);
            return _token;
        }
    }
}

/// <summary>The metadata service answered with an error.</summary>
internal sealed class InstanceMetadataException(string message, HttpStatusCode status) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
