/**
 * Request header names to list in `Connection`: PortSwigger's Param Miner wordlist
 * (github.com/PortSwigger/param-miner, `resources/headers`, commit 50da8dbf), lowercased, with
 * its `~value` hints dropped and duplicates removed: 1,210 names.
 */
export const HEADER_NAMES: readonly string[] = `
accept accept-charset accept-encoding accept-language accept-ranges x-middleware-subrequest
access-control-allow-credentials access-control-allow-headers access-control-allow-methods
access-control-allow-origin access-control-expose-headers access-control-max-age
access-control-request-headers access-control-request-method age akamai-client-ip allow
authorization authenticate cache-control connection contact content-disposition content-encoding
content-language content-length content-location content-range content-security-policy
content-security-policy-report-only content-type cookie cookie2 dnt date destination etag expect
expires forwarded from host if-match if-modified-since if-none-match if-range
if-unmodified-since keep-alive large-allocation last-modified location origin pragma profile
proxy-authenticate proxy-authorization public-key-pins public-key-pins-report-only range referer
referrer-policy report-to retry-after server set-cookie set-cookie2 sourcemap
strict-transport-security te timing-allow-origin tk trailer transfer-encoding
upgrade-insecure-requests user-agent vary via www-authenticate warning x-content-type-options
x-dns-prefetch-control x-forwarded-for x-forwarded-host x-forwarded-proto x-forwarded-port
x-forwarded-prefix front-end-https x-forwarded-protocol x-forwarded-ssl x-url-scheme
x-cluster-client-ip x-forwarded-server proxy-host x-wap-profile x-original-url x-rewrite-url
x-http-destinationurl proxy-connection x-uidh true-client-ip request-uri orig_path_info
client-ip x-real-ip x-originating-ip cf-ipcountry cf-visitor remote-userhttps server-software
web-server-api remote-addr remote-host remote-user request-method script-name path-info
unencoded-url x-arr-ssl x-arr-log-id soapaction x-original-http-command x-server-name
x-server-port query-string auth-password auth-type auth-user cert-cookie cert-flags cert-issuer
cert-keysize cert-secretkeysize cert-serialnumber cert-server-issuer cert-server-subject
cert-subject cf-template-path context-path gateway-interface https-keysize https-secretkeysize
https-server-issuer https-server-subject http-accept http-accept-encoding http-accept-language
http-connection http-cookie http-host http-referer http-url http-user-agent local-addr
path-translated server-name server-port server-port-secure server-protocol
cloudfront-viewer-country x-scheme x-cascade x-http-method-override x-http-path-override
x-http-host-override x-http-method x-method-override x-cf-url php-auth-user php-auth-pw error
post-vars raw-post-data proxy-request-fulluri request server-varsabantecart accept-application
accept-auth accept-encodxng accept-version action admin akamai-origin-hop app app-key
apply-to-redirect-ref atcept-language auth-digest-ie auth-key auth-realm base-url
bearer-indication browser-user-agent case-files category ch challenge-response charset
client-address client-bad-request client-conflict client-error-connect client-expectation-failed
client-forbidden client-gone client-length-required client-method-not-allowed
client-not-acceptable client-not-found client-payment-required client-precondition-failed
client-proxy-auth-required client-quirk-mode client-requested-range-not-possible
client-request-timeout client-request-too-large client-request-uri-too-large client-unauthorized
client-unsupported-media-type cloudinary-name cloudinary-public-id cloudinaryurl
cloudinary-version compress connection-type content content-type-xhtml cookies core-base
credentials-filepath curl curl-multithreaded custom-secret-header dataserviceversion destroy
devblocksproxybase devblocksproxyhost devblocksproxyssl digest dir dir-name dir-resource
disable-gzip dkim-signature download-bad-url download-cut-short download-mime-type
download-no-server download-size download-status-not-found download-status-server-error
download-status-unauthorized download-status-unknown download-url env-silla-environment
espo-authorization espo-cgi-auth eve-charid eve-charname eve-solarsystemid eve-solarsystemname
ex-copy-movie ext fake-header fastly-client-ip fb-appid fb-secret filename file-not-found files
files-vars foo-bar force-language force-local-xhprof forwarded-proto fromlink givenname
global-all global-cookie global-get global-post google-code-project-hosting-hook-hmac h0st home
host-liveserver host-name host-unavailable http-authorization if-modified-since-version
if-posted-before if-unmodified-since-version images info ischedule-version iv-groups iv-user
jenkins kiss-rpc last-event-id local-dir mail max-conn maxdataserviceversion max-request-size
max-uri-length message message-b mode mod-env mod-security-message module-class
module-class-path module-name ms-asprotocolversion msisdn my-header mysqlport native-sockets
nonce not-exists notification-template onerror-return organizer params-get-catid
params-get-currentday params-get-disposition params-get-downwards params-get-givendate
params-get-lang params-get-type passkey path-base path-themes phpthreads portsensor-auth
post-error postredir-301 postredir-302 postredir-all protocol protocols proxy-agent
proxy-http-1-0 proxy-pwd proxy-socks4a proxy-socks5-hostname proxy-url pull querystring realip
real-ip real-method reason reason-phrase redirected-accept-language redirection-found
redirection-multiple-choices redirection-not-modified redirection-permanent
redirection-see-other redirection-temporary redirection-unused redirection-use-proxy
redirect-problem-withoutwww redirect-problem-withwww ref refresh remix-hash remote-host-wp
response rest-key returned-error rlnclientipaddr safe-ports-list safe-ports-ssl-list
schedule-reply sec-websocket-accept sec-websocket-extensions sec-websocket-key1
sec-websocket-key2 sec-websocket-origin sec-websocket-protocol sec-websocket-version self
send-x-frame-options server-bad-gateway server-error server-gateway-timeout server-internal
server-not-implemented server-service-unavailable server-unsupported-version session-id-tag
shib-identity-provider shib-logouturl shopilex sn socketlog somevar sp-client ssl-offloaded
sslsessionid ssl-session-id status-403 status-403-admin-del status-404 status-code
status-platform-403 success-accepted success-created success-no-content
success-non-authoritative success-ok success-partial-content success-reset-content test
test-config test-server-path test-something-anything ticket time-out tmp translate ua-color
ua-resolution ua-voice unit-test-mode upgrade uri url-sanitize-path use-gzip useragent-via
user-email user-id user-photos util verbose versioncode x-aastra-expmod1 x-aastra-expmod2
x-aastra-expmod3 x-accel-mapping x-advertiser-id x-ajax-real-method x-alto-ajax-keyz
x-api-signature x-api-timestamp x-apple-client-application x-apple-store-front x-authentication
x-authentication-key x-auth-mode x-authorization x-auth-password x-auth-service-provider
x-auth-token x-auth-userid x-auth-username x-avantgo-screensize x-azc-remote-addr
x-bear-ajax-request x-bluecoat-via x-browser-height x-browser-width x-cache x-cept-encoding
x-chrome-extension x-cisco-bbsm-clientip x-client-host x-client-id x-clientip x-client-key
x-client-os x-client-os-ver x-collect-coverage x-credentials-request x-csrf-crumb x-cuid
x-custom x-dagd-proxy x-davical-testcase x-debug-test x-dialog x-drestcg x-dsid
x-enable-coverage x-environment-override x-experience-api-version x-fb-user-remote-addr
x-file-id x-file-resume x-foo-bar x-forwarded-for-original x-forwarder-for x-forward-proto
x-from x-gb-shared-secret x-geoip-country x-get-checksum x-helpscout-event x-host x-https
x-htx-agent x-if-unmodified-since x-imbo-test-config x-insight x-ip x-ip-trail x-iwproxy-nesting
x-jphone-color x-jphone-geocode x-kaltura-remote-addr x-known-signature x-known-username
x-litmus-second x-machine x-mandrill-signature x-mobile-ua x-mosso-dt x-msisdn x-ms-policykey
x-myqee-system-debug x-myqee-system-hash x-myqee-system-isadmin x-myqee-system-isrest
x-myqee-system-pathinfo x-myqee-system-project x-myqee-system-rstr x-myqee-system-time
x-network-info x-nfsn-https x-ning-request-uri x-nokia-connection-mode x-nokia-msisdn
x-nokia-wia-accept-original x-nokia-wtls x-nuget-apikey x-opera-info x-operamini-features
x-orchestra-scheme x-orig-client x-original-host x-originally-forwarded-for
x-originally-forwarded-proto x-original-remote-addr x-overlay x-pagelet-fragment x-password
xpdb-debugger x-phabricator-csrf x-phpbb-using-plupload xproxy x-proxy-url x-pswd
x-qafoo-profiler x-remote-protocol x-render-partial x-request x-request-id x-request-start
x-response-format x-rest-cors x-sakura-forwarded-for x-scalr-auth-key x-scalr-auth-token
x-scalr-env-id x-screen-height x-screen-width x-sendfile-type x-serialize x-serial-number
x-server-id x-sina-proxyuser x-skyfire-screen x-ssl x-subdomain x-teamsite-preremap
x-test-session-id x-tine20-jsonkey x-tine20-request-type x-tomboy-client x-tor
x-twilio-signature x-uniquewcid x-up-calling-line-id x-up-devcap-screendepth
x-upload-content-type x-upload-maxresolution x-upload-name x-upload-size x-upload-type
x-user-agent x-username x-verify-credentials-authorization x-wap-client-sdu-size x-wap-gateway
x-wap-network-client-ip x-wap-network-client-msisdn x-wap-proxy-cookie x-wap-session-id
x-wap-tod x-wap-tod-coded x-wopi-override x-wikimedia-debug x-wp-pjax-prefetch x-ws-api-key
x-xc-schema-version x-xhprof-debug x-xhr-referer x-xmlhttprequest x-xpid xxx-real-ip
xxxxxxxxxxxxxxx x-zikula-ajax-token x-zotero-version x-ztgo-bearerinfo y zotero-api-version
zotero-write-token access-token ajax app-env bae-env-addr-bcms bae-env-addr-bus
bae-env-addr-channel bae-logid basic catalog clientip debug delete enable-gzip
enable-no-cache-headers error-1 error-2 error-3 error-4 eve-trusted fire-breathing-dragon format
gzip-level head hosti htaccess image incap-client-ip local-content-sha1 on-behalf-of options
password pink-pony proxy-password put request2-tests-base-url request2-tests-proxy-host
request-timeout rest-sign root support-events token user useragent user-mail user-name
version-none viad x x-access-token x-amz-date x-amz-server-side-encryption x-auth-key
x-auth-user x-confirm-delete x-do-not-track x-elgg-nonce x-expected-entity-length x-filename
x-flash-version x-flx-consumer-key x-flx-consumer-secret x-flx-redirect-url x-forwarded-scheme
x-jphone-msname x-options x-os-prefs x-pjax-container x-request-timestamp x-rest-password
x-rest-username x-te x-unique-id x-up-devcap-iscolor accesskey auth-any auth-basic auth-digest
auth-gssneg auth-ntlm code cookie-httponly cookie-parse-raw cookie-secure deflate-level-def
deflate-level-max deflate-level-min deflate-strategy-def deflate-strategy-filt
deflate-strategy-fixed deflate-strategy-huff deflate-strategy-rle deflate-type-gzip
deflate-type-raw deflate-type-zlib e-encoding e-header e-invalid-param e-malformed-headers
e-message-type encoding-stream-flush-full encoding-stream-flush-none encoding-stream-flush-sync
e-querystring e-request e-request-method e-request-pool e-response e-runtime e-socket e-url get
header http-phone-number ipresolve-any ipresolve-v4 ipresolve-v6 link meth-acl
meth-baseline-control meth-checkin meth-checkout meth-connect meth-copy meth-label meth-lock
meth-merge meth-mkactivity meth-mkcol meth-mkworkspace meth-move meth-options meth-propfind
meth-proppatch meth-report meth-trace meth-uncheckout meth-unlock meth-update
meth-version-control msg-none msg-request msg-response oc-chunked ocs-apirequest
params-allow-comma params-allow-failure params-default params-raise-error path phone-number
pragma-no-cache proxy-http proxy-socks4 proxy-socks5 querystring-type-array
querystring-type-bool querystring-type-float querystring-type-int querystring-type-object
querystring-type-string redirect redirect-found redirect-perm redirect-post redirect-proxy
redirect-temp refferer requesttoken sec-ch-ua sec-ch-ua-arch sec-ch-ua-bitness
sec-ch-ua-full-version-list sec-ch-ua-mobile sec-ch-ua-model sec-ch-ua-platform
sec-ch-ua-platform-version sec-fetch-dest sec-fetch-mode sec-fetch-site sec-fetch-user
sec-websocket-key sp-host ssl ssl-version-any status-bad-request status-forbidden support
support-encodings support-magicmime support-requests support-sslrequests surrogate-capability ua
upload-default-chmod url url-from-env verbose-throttle version-1-0 version-1-1 version-any
webodf-member-id webodf-session-id webodf-session-revision work-directory x-api-key x-apitoken
x-csrftoken x-elgg-apikey x-elgg-hmac x-elgg-hmac-algo x-elgg-posthash x-elgg-posthash-algo
x-elgg-time x-foo x-forwarded-by x-json x-litmus x-locking x-oc-mtime x-remote-addr
x-request-signature x-ua-device x-update-range x-varnish x-wp-nonce auth brief chunk-size client
download-attachment download-bz2 download-e-headers-sent download-e-invalid-archive-type
download-e-invalid-content-type download-e-invalid-file download-e-invalid-param
download-e-invalid-request download-e-invalid-resource download-e-no-ext-mmagic
download-e-no-ext-zlib download-inline download-tar download-tgz download-zip header-lf
header-status-client-error header-status-informational header-status-redirect
header-status-server-error header-status-successful https-from-lb meth-delete meth-head
meth-post multipart-boundary originator php recipient request-error request-vars secretkey
status-ok xauthorization x-codeception-codecoverage x-codeception-codecoverage-config
x-codeception-codecoverage-debug x-codeception-codecoverage-suite x-csrf-token x-dokuwiki-do
x-helpscout-signature x-nokia-bearer xonnection x-purpose xroxy-connection x-user bae-env-appid
catalog-server cookie-path custom-header forwarded-for-ip meth-get meth-put opencart
unless-modified-since www-address x-content-type x-hub-signature x-signature bae-env-addr-sql-ip
bae-env-addr-sql-port cache-info client-error-cannot-access-local-file
client-error-cannot-connect client-error-communication-failure client-error-invalid-parameters
client-error-invalid-server-address client-error-no-error client-error-protocol-failure
client-error-unspecified-error error-formatting-html lock-token onerror-continue onerror-die
overwrite prefer shib-application-id x-fireloggerauth cookie-domain https modauth port post
read-state-begin read-state-body read-state-headers socket-connection-err str-match
transport-err coming-from nl ua-pixels x-coming-from x-jphone-display x-up-devcap-screenpixels
x-whatever appname proxy-port version x-forward-for proxy-user x-em-uid x-file-type bar proxy
timeout referrer x-jphone-uid x-file-size accepted appcookie bad-gateway bae-env-addr-bcs
conflict continue created expectation-failed failed-dependency gateway-time-out gone
insufficient-storage internal-server-error length-required locked method-not-allowed
moved-permanently moved-temporarily multiple-choices multi-status no-content non-authoritative
not-acceptable not-extended not-implemented not-modified partial-content payment-required
precondition-failed processing proxy-authentication-required range-not-satisfiable
request-entity-too-large request-time-out request-uri-too-large reset-content see-other
service-unavailable switching-protocols temporary-redirect unprocessable-entity
unsupported-media-type upgrade-required use-proxy variant-also-varies version-not-supported
x-operamini-phone bad-request forbidden unauthorized user-agent-via appversion not-found x-pjax
cf-connecting-ip x-dcmguid foo info-download-size info-download-time info-return-code
info-total-request-stat info-total-response-stat x-firelogger content-md5 x-up-subno bae-env-ak
bae-env-sk if ok url-join-path url-join-query url-replace url-strip-all url-strip-auth
url-strip-fragment url-strip-pass url-strip-path url-strip-port url-strip-query url-strip-user
depth x-file-name x-moz x-ucbrowser-device-ua device-stock-ua mod-rewrite x-nokia-ipaddress
x-bolt-phone-ua x-original-user-agent x-skyfire-phone title ssl-https request-error-file
request-error-gzip-crc request-error-gzip-data request-error-gzip-method request-error-gzip-read
request-error-proxy request-error-redirects request-error-response request-error-url slug
x-att-deviceid authentication x-firephp-version x-mobile-gateway request-mbstring
x-device-user-agent x-huawei-userid x-orange-id x-vodafone-3gpdpcontext x-wap-clientid ua-cpu
wap-connection x-nokia-gateway-id ua-os body-maxlength body-truncated max-forwards mimetype
verify-cert request-http-ver-1-0 request-http-ver-1-1 request-method-delete request-method-get
request-method-head request-method-options request-method-post request-method-put
request-method-trace x-operamini-phone-ua status x-update method forwarded-for x-forwarded
scheme x-client-ip x-prototype-version clientaddress base pc-remote-addr post-files session-vars
cookie-vars env-vars get-vars server-vars x-requested-with alt-used command __requesturi
__requestverb x-http-status-code-override x-amzn-remapped-host x-amz-website-redirect-location
x-up-devcap-post-charset http_sm_authdirname http_sm_authdirnamespace http_sm_authdiroid
http_sm_authdirserver http_sm_authreason http_sm_authtype http_sm_dominocn http_sm_realm
http_sm_realmoid http_sm_sdomain http_sm_serveridentityspec http_sm_serversessionid
http_sm_serversessionspec http_sm_sessiondrift http_sm_timetoexpire http_sm_transactionid
http_sm_universalid http_sm_user http_sm_userdn http_sm_usermsg x-remote-ip traceparent
tracestate x-user-ip x-proxied-user-ip x-proxyuser-ip cast-device-capabilities
content-transfer-encoding developer-token financial-institution-id gdata-version
hotrod-board-name hotrod-chrome-cpu-model hotrod-chrome-processors linked-customer-id
login-customer-id mime-version origintoken request-id unzipped-content-md5 want-digest
x-ad-manager-debug-info x-ad-manager-impersonation x-alkali-account-key x-alkali-application-key
x-alkali-auth-apps-namespace x-alkali-auth-entities-namespace x-alkali-auth-entity
x-alkali-client-locale x-android-cert x-android-package x-ariane-xsrf-token x-chrome-connected
x-client-data x-client-version x-clientdetails x-compass-routing-destination x-correlation-id
x-debug-tracking-id x-earth-engine-app-id-token x-earth-engine-computation-profile
x-earth-engine-computation-profiling x-firebase-appcheck x-firebase-auth-token x-firebase-client
x-firebase-client-log-type x-firebase-gmpid x-firebase-locale x-firebase-token
x-foyer-client-environment x-framework-xsrf-token x-gdata-client x-gdata-key x-geo
x-ios-bundle-identifier x-javascript-user-agent x-origin x-pan-versionid x-referer
x-rfui-request-context x-sdm-id-token x-server-object-version x-server-timeout x-server-token
x-sfdc-authorization x-stadia-client-context x-upload-content-length x-use-alt-service
x-use-http-status-code-override x-now-route-matches x-invoke-status x-invoke-query
x-invoke-error x-invoke-output x-invoke-path x-middleware-invoke x-middleware-prefetch
`
  .trim()
  .split(/\s+/);
